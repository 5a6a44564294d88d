package console

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// Every label has its English and its Chinese, and every label a template
// asks for exists: a missing one would show its key to the user.
func TestEveryLabelHasBothLanguages(t *testing.T) {
	labelsMu.RLock()
	defer labelsMu.RUnlock()
	for k, v := range labels {
		if strings.TrimSpace(v[0]) == "" || strings.TrimSpace(v[1]) == "" {
			t.Errorf("label %q: English %q, Chinese %q", k, v[0], v[1])
		}
	}
	used := regexp.MustCompile(`\.(?:T|Tf) "([a-z0-9_.]+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := labels[m[1]]; !ok {
				t.Errorf("%s asks for label %q, which does not exist", f, m[1])
			}
		}
	}
}

// Customer-entered text is shown exactly, escaped: no template marks
// anything as safe HTML.
func TestTemplatesNeverTrustHTML(t *testing.T) {
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, bad := range []string{"safeHTML", "template.HTML", " safe "} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s uses %s", f, bad)
			}
		}
	}
}
