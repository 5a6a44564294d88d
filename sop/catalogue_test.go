package sop

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// declared returns the values of the constants of a type declared in this
// package's source (the vocabulary the catalogue may name).
func declared(t *testing.T, typ string) []string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range names {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				v := s.(*ast.ValueSpec)
				if id, ok := v.Type.(*ast.Ident); !ok || id.Name != typ || len(v.Values) != 1 {
					continue
				}
				if lit, ok := v.Values[0].(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// The catalogue has every rule, in document order, each described, naming
// only events and timeline kinds that exist.
func TestCatalogue(t *testing.T) {
	if len(Catalogue) != len(AllRules) {
		t.Fatalf("%d rules in the catalogue, %d in AllRules", len(Catalogue), len(AllRules))
	}
	kinds := declared(t, "Kind")
	for i, r := range AllRules {
		c := Catalogue[i]
		if c.Rule != r {
			t.Fatalf("catalogue entry %d is %s, want %s (document order)", i, c.Rule, r)
		}
		if c.Title == "" || c.Source == "" || c.How == "" {
			t.Errorf("%s: title, source and how are all needed: %+v", r, c)
		}
		for _, e := range c.Events {
			if !slices.Contains(EventTypes(), e) {
				t.Errorf("%s names an unknown event %q", r, e)
			}
		}
		for _, k := range c.Kinds {
			if !slices.Contains(kinds, string(k)) {
				t.Errorf("%s names an unknown timeline kind %q", r, k)
			}
		}
	}
}
