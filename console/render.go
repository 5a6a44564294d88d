package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/housecall/housecall/sop"
)

// Templates: templates/layout.html and the partials templates/_*.html make
// the base; every other templates/NAME.html is a page named NAME that
// defines "content" (and may define "title" and "head").

func (c *Console) parseTemplates() error {
	base := template.New("layout.html").Funcs(funcs)
	base, err := base.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return err
	}
	partials, _ := fs.Glob(templateFS, "templates/_*.html")
	if len(partials) > 0 {
		if base, err = base.ParseFS(templateFS, partials...); err != nil {
			return err
		}
	}
	files, _ := fs.Glob(templateFS, "templates/*.html")
	c.pages = map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return fmt.Errorf("template %s: %w", f, err)
		}
		c.pages[name] = t
	}
	return nil
}

// Page is what every template gets as ".".
type Page struct {
	Lang string
	// User is who is signed in (nil on the sign-in page and customer links).
	User *user
	CSRF string
	Path string
	// Data is the page's own data.
	Data any
	// Loc is the service area's time zone: times are shown in it.
	Loc *time.Location
	Now time.Time
	// TemporalUI is the Temporal UI's address ("" none).
	TemporalUI string
	Namespace  string
	// Customer marks the customer's pages (no staff navigation).
	Customer bool
}

// T is a label in the page's language.
func (p *Page) T(key string) string { return translate(p.Lang, key) }

// Tf is a label with arguments.
func (p *Page) Tf(key string, args ...any) string { return tf(p.Lang, key, args...) }

// Status is a status's label.
func (p *Page) Status(s sop.Status) string { return vocab(p.Lang, "status.", string(s)) }

// Event is an event type's label.
func (p *Page) Event(e sop.EventType) string { return vocab(p.Lang, "event.", string(e)) }

// Kind is a timeline kind's label.
func (p *Page) Kind(k string) string { return vocab(p.Lang, "kind.", k) }

// Clock is a clock's label.
func (p *Page) Clock(name string) string { return vocab(p.Lang, "clock.", name) }

// Role is a role's label.
func (p *Page) Role(r sop.Role) string { return translate(p.Lang, "role."+string(r)) }

// Time shows an instant in the service area's zone: "2006-01-02 15:04".
func (p *Page) Time(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return tt.In(p.Loc).Format("2006-01-02 15:04")
}

// HM shows the time of day only.
func (p *Page) HM(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return tt.In(p.Loc).Format("15:04")
}

// ISO is an instant for data attributes (countdowns in app.js).
func (p *Page) ISO(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return tt.UTC().Format(time.RFC3339)
}

// Overdue reports whether an instant has passed.
func (p *Page) Overdue(t any) bool {
	tt, ok := asTime(t)
	return ok && tt.Before(p.Now)
}

func asTime(t any) (time.Time, bool) {
	switch x := t.(type) {
	case time.Time:
		return x, !x.IsZero()
	case *time.Time:
		if x == nil {
			return time.Time{}, false
		}
		return *x, !x.IsZero()
	}
	return time.Time{}, false
}

var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	// dict makes a map for a sub-template: dict "k" v "k2" v2.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd arguments")
		}
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"add":   func(a, b int) int { return a + b },
	"join":  strings.Join,
	"lower": strings.ToLower,
}

// page builds the data of a page for the request.
func (c *Console) page(r *http.Request, u *user, data any) *Page {
	now := c.opt.Now()
	p := &Page{Lang: lang(r), User: u, Path: r.URL.Path, Data: data, Loc: c.opt.Policy(now).Location(), Now: now,
		TemporalUI: c.opt.TemporalUIURL, Namespace: c.opt.Namespace}
	if u != nil {
		p.CSRF = u.csrf
	}
	return p
}

// render writes a page with a status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, u *user, status int, name string, data any) {
	c.renderPage(w, status, name, c.page(r, u, data))
}

func (c *Console) renderPage(w http.ResponseWriter, status int, name string, p *Page) {
	t, ok := c.pages[name]
	if !ok {
		c.log.Error("no template", zap.String("page", name))
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		c.log.Error("render", zap.String("page", name), zap.Error(err))
		http.Error(w, "the page could not be drawn; the error is in the log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fragment renders one named template of a page alone (partial updates:
// the live queue asks for rows).
func (c *Console) fragment(w http.ResponseWriter, r *http.Request, u *user, page, name string, data any) {
	t, ok := c.pages[page]
	if !ok {
		http.Error(w, "no page "+page, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, c.page(r, u, data)); err != nil {
		c.log.Error("render fragment", zap.String("page", page), zap.String("fragment", name), zap.Error(err))
		http.Error(w, "the fragment could not be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
