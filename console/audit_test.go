package console_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
)

// signedIn is an HTTP client with a console session of the token's role.
func signedIn(t *testing.T, env *housecalltest.Env, who string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(env.API.URL+"/signin", url.Values{"token": {env.Token(who)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", who, res.StatusCode)
	}
	c.CheckRedirect = nil
	return c
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestAuditHandlers(t *testing.T) {
	p := sop.DefaultPolicy()
	p.VerifyTimeout = sop.D(time.Second)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E-1"}, Quiet: true})
	env.AddEngineer("E-1", "east", 0)
	startBreachedRequest(t, env, "SR-AUDIT-H1", false)
	second := auditRequestBody("SR-AUDIT-H2")
	second["customer"].(map[string]any)["address"] = "广州市天河区体育西路 103 号"
	env.Call("callcentre", "POST", "/v1/requests", second, 201, nil)
	env.Eventually(10*time.Second, "the request's row in PostgreSQL", func() bool {
		_, err := env.Store.GetRequest(t.Context(), "SR-AUDIT-H2")
		return err == nil
	})
	base := env.API.URL

	t.Run("roles", func(t *testing.T) {
		for _, who := range []string{"callcentre", "engineer:E-1"} {
			c := signedIn(t, env, who)
			for _, path := range []string{"/audit", "/audit/requests/SR-AUDIT-H1", "/kpi", "/audit/compliance.csv"} {
				if st, body := get(t, c, base+path); st != http.StatusForbidden || !strings.Contains(body, "may not open") {
					t.Errorf("%s on %s: %d", who, path, st)
				}
			}
		}
		// Admin may audit too (contract: /audit, /kpi for auditor and admin).
		admin := signedIn(t, env, "admin")
		if st, body := get(t, admin, base+"/audit/requests/SR-AUDIT-H1"); st != 200 || !strings.Contains(body, `data-status="breached"`) {
			t.Errorf("admin's audit page: %d", st)
		}
		if st, _ := get(t, admin, base+"/kpi"); st != 200 {
			t.Errorf("admin's KPIs: %d", st)
		}
		// Signed out: the CSV is not served.
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(base + "/audit/compliance.csv")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("signed-out CSV: %d", res.StatusCode)
		}
	})

	c := signedIn(t, env, "auditor")
	t.Run("search", func(t *testing.T) {
		// The phone is shared by both: a list of both.
		st, body := get(t, c, base+"/audit?q=13900139000")
		if st != 200 || !strings.Contains(body, `data-request="SR-AUDIT-H1"`) || !strings.Contains(body, `data-request="SR-AUDIT-H2"`) {
			t.Fatalf("search by phone: %d", st)
		}
		// An id, typed in lower case, opens its page.
		res, err := c.Get(base + "/audit?q=sr-audit-h2")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if !strings.HasSuffix(res.Request.URL.Path, "/audit/requests/SR-AUDIT-H2") {
			t.Fatalf("search by id went to %s", res.Request.URL)
		}
		if _, body := get(t, c, base+"/audit?q=nobody"); !strings.Contains(body, `id="audit-none"`) {
			t.Fatal("no word for an empty search")
		}
		// Customer text is escaped.
		if _, body := get(t, c, base+"/audit?q=13900139000"); strings.Contains(body, "韩梅梅 <b>") || !strings.Contains(body, "韩梅梅 &lt;b&gt;") {
			t.Fatal("customer text not escaped")
		}
	})

	t.Run("request page", func(t *testing.T) {
		if st, body := get(t, c, base+"/audit/requests/SR-NOPE"); st != 404 || !strings.Contains(body, "no request SR-NOPE") {
			t.Fatalf("unknown request: %d", st)
		}
		st, body := get(t, c, base+"/audit/requests/SR-AUDIT-H1")
		if st != 200 {
			t.Fatalf("audit page %d", st)
		}
		breach := strings.Index(body, `data-status="breached"`)
		met := strings.Index(body, `data-status="met"`)
		if breach < 0 || met < 0 || met < breach {
			t.Fatalf("breaches are not first (breached at %d, met at %d)", breach, met)
		}
		// Opening the page cached its verdicts at the request's seq.
		var judged, seq int64
		_ = env.Store.Pool.QueryRow(t.Context(), `SELECT j.seq, r.seq FROM verdicts_judged j JOIN requests r ON r.id = j.request_id WHERE j.request_id = 'SR-AUDIT-H1'`).Scan(&judged, &seq)
		if judged == 0 || judged != seq {
			t.Fatalf("cached at seq %d, request at %d", judged, seq)
		}
		// Replay verification needs the CSRF token.
		res, err := c.PostForm(base+"/audit/requests/SR-AUDIT-H1/verify", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("verify without CSRF: %d", res.StatusCode)
		}
		m := csrfField.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no CSRF field on the page")
		}
		res, err = c.PostForm(base+"/audit/requests/SR-AUDIT-H1/verify", url.Values{"csrf": {m[1]}})
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(out), `id="replay-result" data-ok="true"`) {
			t.Fatalf("verify: %d", res.StatusCode)
		}
		res, err = c.PostForm(base+"/audit/requests/SR-AUDIT-H1/check", url.Values{"csrf": {m[1]}})
		if err != nil {
			t.Fatal(err)
		}
		out, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(out), `id="check-result" data-ok="true"`) {
			t.Fatalf("check: %d", res.StatusCode)
		}
	})

	t.Run("compliance is judged again when a request moves on", func(t *testing.T) {
		today := time.Now().In(p.Location()).Format("2006-01-02")
		_, body := get(t, c, base+"/audit?from="+today+"&to="+today)
		if !strings.Contains(body, "2 of 2 requests judged") {
			t.Fatalf("coverage: %s", regexp.MustCompile(`id="coverage"[^>]*>[^<]*`).FindString(body))
		}
		var before int64
		_ = env.Store.Pool.QueryRow(t.Context(), `SELECT seq FROM verdicts_judged WHERE request_id = 'SR-AUDIT-H2'`).Scan(&before)
		env.MustEvent("callcentre", "SR-AUDIT-H2", map[string]any{"type": "triaged", "category": "quality"})
		_, body = get(t, c, base+"/audit?from="+today+"&to="+today)
		if !strings.Contains(body, "2 of 2 requests judged") {
			t.Fatal("not judged again")
		}
		var after, seq int64
		_ = env.Store.Pool.QueryRow(t.Context(), `SELECT j.seq, r.seq FROM verdicts_judged j JOIN requests r ON r.id = j.request_id WHERE j.request_id = 'SR-AUDIT-H2'`).Scan(&after, &seq)
		if after <= before || after != seq {
			t.Fatalf("judged at %d before, %d after, request at %d", before, after, seq)
		}
		// The KPIs count both requests, and name the published figures.
		_, body = get(t, c, base+"/kpi?from="+today+"&to="+today)
		if !strings.Contains(body, `id="kpi-requests">2<`) || !strings.Contains(body, "77.0 %") || !strings.Contains(body, "88.0 %") {
			t.Fatal("KPI page lacks the count or the published figures")
		}
		// Compliance per rule per region and engineer: R1.2 breached by the
		// first request (east, E-1), met by none.
		if !regexp.MustCompile(`<tr data-rule="R1.2">.*?<td class="num bad">0.0 % \(0/1\)</td>`).MatchString(body) {
			t.Fatal("the rule matrix lacks R1.2's breach")
		}
		if strings.Count(body, "<svg") < 5 {
			t.Fatal("KPI charts missing")
		}
	})
}

// A request the cache cannot judge (here: a row whose history cannot be
// read) is not counted as judged: the page says how many are, honestly.
func TestComplianceCoverageIsHonest(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Quiet: true, NoFinalCheck: true})
	second := auditRequestBody("SR-AUDIT-C1")
	second["customer"].(map[string]any)["address"] = "广州市天河区体育西路 103 号"
	env.Call("callcentre", "POST", "/v1/requests", second, 201, nil)
	env.Eventually(10*time.Second, "the request's row in PostgreSQL", func() bool {
		_, err := env.Store.GetRequest(t.Context(), "SR-AUDIT-C1")
		return err == nil
	})
	if _, err := env.Store.Pool.Exec(t.Context(), `INSERT INTO requests (id, status, customer, product, seq, created_at, updated_at)
		VALUES ('SR-NO-HISTORY', 'triage', '{"region":"east"}', '{}', 3, now(), now())`); err != nil {
		t.Fatal(err)
	}
	c := signedIn(t, env, "auditor")
	_, body := get(t, c, env.API.URL+"/audit")
	cov := regexp.MustCompile(`<p id="coverage"[^>]*>[^<]*`).FindString(body)
	if !strings.Contains(cov, `data-judged="1" data-total="2"`) || !strings.Contains(cov, "1 of 2 requests judged") || !strings.Contains(cov, "being judged") {
		t.Fatalf("coverage: %s", cov)
	}
	// The KPIs say the same.
	_, body = get(t, c, env.API.URL+"/kpi")
	if !strings.Contains(body, "1 of 2 requests judged") {
		t.Fatal("KPI page does not say how many are judged")
	}
	// In Chinese too.
	req, _ := http.NewRequest("GET", env.API.URL+"/audit", nil)
	req.Header.Set("Accept-Language", "zh-CN")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zh, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(zh), "已评判 1 / 2 个服务单") || !strings.Contains(string(zh), "服务单合规统计") {
		t.Fatal("the Chinese page lacks its labels")
	}
}
