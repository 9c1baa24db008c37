package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
)

func TestAirbyteSpec(t *testing.T) {
	v := airbytetest.NewValidator(t)
	r := pdx(t, v, "spec")
	if r.code != 0 || len(r.msgs) != 1 || r.msgs[0].Type != "SPEC" {
		t.Fatalf("spec: exit %d, %d messages\n%s%s", r.code, len(r.msgs), r.stdout, r.stderr)
	}
	var cs map[string]any
	if err := json.Unmarshal(r.msgs[0].Spec.ConnectionSpecification, &cs); err != nil {
		t.Fatal(err)
	}
	if cs["$schema"] != "http://json-schema.org/draft-07/schema#" || cs["type"] != "object" {
		t.Errorf("connectionSpecification: $schema %v type %v", cs["$schema"], cs["type"])
	}
	if !strings.Contains(r.stdout, `"documentationUrl":"https://`) || !strings.Contains(r.stdout, `"supportsIncremental":true`) {
		t.Errorf("spec lacks documentationUrl or supportsIncremental: %s", r.stdout)
	}
	// Forbidden keywords anywhere; secrets marked.
	var secrets []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for _, bad := range []string{"$ref", "anyOf", "allOf", "not", "if", "then", "else", "patternProperties"} {
			if _, has := m[bad]; has {
				t.Errorf("%s uses %s", path, bad)
			}
		}
		if ap, has := m["additionalProperties"]; has && ap != true {
			t.Errorf("%s: additionalProperties %v", path, ap)
		}
		if m["airbyte_secret"] == true {
			secrets = append(secrets, path)
		}
		if props, ok := m["properties"].(map[string]any); ok {
			orders := map[float64]string{}
			for k, p := range props {
				if o, ok := p.(map[string]any)["order"].(float64); ok {
					if prev, dup := orders[o]; dup {
						t.Errorf("%s: %s and %s share order %v", path, prev, k, o)
					}
					orders[o] = k
				}
				walk(path+"."+k, p)
			}
		}
		if one, ok := m["oneOf"].([]any); ok {
			for i, o := range one {
				walk(path+".oneOf", o)
				// every variant carries the shared const discriminator
				om := o.(map[string]any)
				at, _ := om["properties"].(map[string]any)["auth_type"].(map[string]any)
				if at == nil || at["const"] == nil || !contains(om["required"], "auth_type") {
					t.Errorf("%s.oneOf[%d]: no required const auth_type", path, i)
				}
			}
		}
	}
	walk("", cs)
	for _, want := range []string{".credentials.oneOf.api_token", ".credentials.oneOf.client_id", ".credentials.oneOf.client_secret", ".credentials.oneOf.refresh_token", ".credentials.oneOf.access_token"} {
		if !contains(toAny(secrets), want) {
			t.Errorf("%s is not airbyte_secret (secrets: %v)", want, secrets)
		}
	}
	// advanced_auth: predicate and every path_in_connector_config exist.
	var aa struct {
		PredicateKey   []string `json:"predicate_key"`
		PredicateValue string   `json:"predicate_value"`
		OAuth          map[string]struct {
			Properties map[string]struct {
				Path []string `json:"path_in_connector_config"`
			} `json:"properties"`
		} `json:"oauth_config_specification"`
	}
	if err := json.Unmarshal(r.msgs[0].Spec.AdvancedAuth, &aa); err != nil {
		t.Fatal(err)
	}
	if strings.Join(aa.PredicateKey, ".") != "credentials.auth_type" || aa.PredicateValue != "oauth2.0" {
		t.Errorf("advanced_auth predicate %v = %q", aa.PredicateKey, aa.PredicateValue)
	}
	paths := 0
	for _, spec := range aa.OAuth {
		for name, p := range spec.Properties {
			if p.Path == nil {
				continue
			}
			paths++
			if !pathInOAuthVariant(cs, p.Path) {
				t.Errorf("advanced_auth %s: path %v does not exist in the OAuth variant", name, p.Path)
			}
		}
	}
	if paths < 4 {
		t.Errorf("only %d path_in_connector_config entries", paths)
	}
}

// pathInOAuthVariant resolves ["credentials", field] in the oauth2.0 variant.
func pathInOAuthVariant(cs map[string]any, path []string) bool {
	if len(path) != 2 || path[0] != "credentials" {
		return false
	}
	cred := cs["properties"].(map[string]any)["credentials"].(map[string]any)
	for _, o := range cred["oneOf"].([]any) {
		props := o.(map[string]any)["properties"].(map[string]any)
		if props["auth_type"].(map[string]any)["const"] == "oauth2.0" {
			return props[path[1]] != nil
		}
	}
	return false
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func contains(list any, s string) bool {
	l, _ := list.([]any)
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
