package audit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/housecall/housecall/sop"
)

// Every sop.* key is set by some test to a value of its own (issue 10: a
// clock reading another key with the same default went unnoticed when only
// 6 keys were ever tested off their default). This finds the fields of
// sop.Policy assigned in the rule cases and the workflow tests; a key no
// test ever sets fails here.
func TestEveryKeyIsTestedOffItsDefault(t *testing.T) {
	set := map[string]bool{}
	var files []string
	for _, glob := range []string{"*_test.go", "../workflows/*_test.go"} {
		fs, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	for _, f := range files {
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for _, l := range n.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok {
						set[sel.Sel.Name] = true
					}
				}
			case *ast.KeyValueExpr: // sop.Policy{Field: …} literals
				if id, ok := n.Key.(*ast.Ident); ok {
					set[id.Name] = true
				}
			}
			return true
		})
	}
	// Not rules' values: the service zone (every test runs in UTC+8) and
	// the history bound (workflows/can_test.go sets it).
	skip := []string{"UTCOffsetSeconds",
		// Read by the API's roster, not the workflow: starter's
		// TestR5_2_DefaultTravelOfTheRoster sets it to 37m.
		"DefaultTravel"}
	var never []string
	typ := reflect.TypeOf(sop.Policy{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		if slices.Contains(skip, f.Name) {
			continue
		}
		if !set[f.Name] {
			never = append(never, "sop."+strings.Split(f.Tag.Get("json"), ",")[0])
		}
	}
	if len(never) > 0 {
		t.Fatalf("keys no test sets to a value of its own: %s", strings.Join(never, ", "))
	}
}
