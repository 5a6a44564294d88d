package console

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/consistency"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

// The auditor's pages: find a request; its timeline with the rule of each
// entry and the verdict on every rule (breaches first), rebuilt from the
// Temporal history by the API (GET /v1/requests/{id}/timeline); replay
// verification (audit.Verify, as `housecall audit verify`) and the
// PostgreSQL-vs-history check from buttons; compliance across requests for
// a date range from the verdict cache (store/verdicts.go), as CSV too.

// judgeWorkers bounds how many histories are rebuilt at once for the cache.
const judgeWorkers = 3

// judgeWait is how long a compliance page waits for stale requests to be
// judged before it shows what is judged so far (and says how much).
var judgeWait = 3 * time.Second

func (c *Console) routeAudit() {
	c.handle("GET /audit", auditRoles, c.auditHome)
	c.handle("GET /audit/requests/{id}", auditRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		c.auditRequest(w, r, u, "")
	})
	c.handle("POST /audit/requests/{id}/verify", auditRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		c.auditRequest(w, r, u, "verify")
	})
	c.handle("POST /audit/requests/{id}/check", auditRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		c.auditRequest(w, r, u, "check")
	})
	c.handle("GET /audit/compliance.csv", auditRoles, c.complianceCSV)
}

// dateRange reads ?from=&to= (days in the service area's zone, both
// included; default the last 30 days) as the instants [from, to).
func (c *Console) dateRange(r *http.Request) (from, to time.Time, fromS, toS string) {
	now := c.opt.Now()
	loc := c.opt.Policy(now).Location()
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	from, to = today.AddDate(0, 0, -29), today
	if d, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("from"), loc); err == nil {
		from = d
	}
	if d, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("to"), loc); err == nil {
		to = d
	}
	if to.Before(from) {
		from, to = to, from
	}
	return from, to.AddDate(0, 0, 1), from.Format("2006-01-02"), to.Format("2006-01-02")
}

// ruleTitle is a rule's title from the catalogue (its own language).
func ruleTitle(r string) string {
	if i, ok := sop.Info(sop.Rule(r)); ok {
		return i.Title
	}
	return ""
}

type complianceRow struct {
	store.RuleCompliance
	Title string
}

type complianceData struct {
	From, To        string
	Judged, Total   int
	Rows            []complianceRow
	Complete        bool
	CSV             string
	BreachedAnyRule int
}

// compliance judges what is stale in the range (bounded, for a while) and
// counts the verdicts.
func (c *Console) compliance(ctx context.Context, r *http.Request) (complianceData, error) {
	from, to, fs, ts := c.dateRange(r)
	c.judgeRange(ctx, from, to, judgeWait)
	d := complianceData{From: fs, To: ts, CSV: "/audit/compliance.csv?" + url.Values{"from": {fs}, "to": {ts}}.Encode()}
	var err error
	if d.Judged, d.Total, err = c.opt.Store.Coverage(ctx, from, to); err != nil {
		return d, err
	}
	d.Complete = d.Judged == d.Total
	rows, err := c.opt.Store.Compliance(ctx, from, to)
	if err != nil {
		return d, err
	}
	byRule := map[string]store.RuleCompliance{}
	for _, x := range rows {
		byRule[x.Rule] = x
	}
	// Every rule of the catalogue, in document order.
	for _, rule := range sop.AllRules {
		x, ok := byRule[string(rule)]
		if !ok {
			x = store.RuleCompliance{Rule: string(rule)}
		}
		if x.Breached > 0 {
			d.BreachedAnyRule++
		}
		d.Rows = append(d.Rows, complianceRow{RuleCompliance: x, Title: ruleTitle(x.Rule)})
	}
	return d, nil
}

// judgePass is a console's one background pass over stale requests (a
// second page view waits for the pass under way instead of starting
// another).
type judgePass struct {
	sync.Mutex
	done chan struct{}
}

// judgePasses holds each console's pass (keyed by *Console).
var judgePasses sync.Map

// judgeRange judges the requests of [from, to) whose cached verdicts are
// stale, judgeWorkers at a time, in the background; it waits up to wait.
func (c *Console) judgeRange(ctx context.Context, from, to time.Time, wait time.Duration) {
	p, _ := judgePasses.LoadOrStore(c, &judgePass{})
	judging := p.(*judgePass)
	judging.Lock()
	done := judging.done
	if done == nil {
		done = make(chan struct{})
		judging.done = done
		go func() {
			defer func() {
				judging.Lock()
				judging.done = nil
				judging.Unlock()
				close(done)
			}()
			bg, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			stale, err := c.opt.Store.StaleVerdicts(bg, from, to, 5000)
			if err != nil {
				c.log.Warn("verdict cache", zap.Error(err))
				return
			}
			jobs := make(chan store.RequestSeq)
			var wg sync.WaitGroup
			for range judgeWorkers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for rs := range jobs {
						if err := c.judge(bg, rs.ID); err != nil {
							c.log.Warn("judge a request for the verdict cache", zap.String("request", rs.ID), zap.Error(err))
						}
					}
				}()
			}
			for _, rs := range stale {
				jobs <- rs
			}
			close(jobs)
			wg.Wait()
		}()
	}
	judging.Unlock()
	select {
	case <-done:
	case <-time.After(wait):
	case <-ctx.Done():
	}
}

// auditorActor is who the verdict cache reads reports as.
var auditorActor = sop.Actor{Role: sop.RoleAuditor, Subject: "console"}

// judge rebuilds one request's report and caches its verdicts under the
// seq read before the history was (store/verdicts.go: why that is safe).
func (c *Console) judge(ctx context.Context, id string) error {
	seq, err := c.opt.Store.RequestSeqOf(ctx, id)
	if err != nil {
		return err
	}
	var rep audit.Report
	if err := c.api(ctx, auditorActor, http.MethodGet, "/v1/requests/"+url.PathEscape(id)+"/timeline", nil, "", &rep); err != nil {
		return err
	}
	return c.cacheVerdicts(ctx, id, seq, rep)
}

func (c *Console) cacheVerdicts(ctx context.Context, id string, seq int64, rep audit.Report) error {
	vs := make([]store.VerdictRow, 0, len(rep.Compliance))
	for _, v := range rep.Compliance {
		vs = append(vs, store.VerdictRow{Rule: string(v.Rule), Status: v.Status, Detail: v.Detail})
	}
	_, err := c.opt.Store.SaveVerdicts(ctx, id, seq, vs)
	return err
}

func (c *Console) auditHome(w http.ResponseWriter, r *http.Request, u *user) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Q": q}
	if q != "" {
		found, err := c.opt.Store.SearchRequests(r.Context(), q, 50)
		if err != nil {
			c.failAPI(w, r, u, err)
			return
		}
		if len(found) == 1 && r.URL.Query().Get("list") == "" {
			http.Redirect(w, r, "/audit/requests/"+url.PathEscape(found[0].ID), http.StatusSeeOther)
			return
		}
		data["Found"] = found
	}
	comp, err := c.compliance(r.Context(), r)
	if err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	data["Compliance"] = comp
	c.render(w, r, u, http.StatusOK, "audit", data)
}

type auditEntry struct {
	At     time.Time
	Kind   string
	Rule   string
	Title  string
	Actor  string
	Detail string
}

type auditVerdict struct {
	audit.Verdict
	Title string
}

type replayResult struct {
	OK     bool
	Runs   []audit.RunReplay
	Events int
	Failed int
	Errs   []string
}

func (c *Console) auditRequest(w http.ResponseWriter, r *http.Request, u *user, action string) {
	id := r.PathValue("id")
	ctx := r.Context()
	path := "/v1/requests/" + url.PathEscape(id)
	seq, seqErr := c.opt.Store.RequestSeqOf(ctx, id)
	var rep audit.Report
	if err := c.api(ctx, u.Actor, http.MethodGet, path+"/timeline", nil, "", &rep); err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	if seqErr == nil {
		if err := c.cacheVerdicts(ctx, id, seq, rep); err != nil {
			c.log.Warn("verdict cache", zap.String("request", id), zap.Error(err))
		}
	}
	data := map[string]any{"ID": id, "Runs": rep.Runs}
	if row, err := c.opt.Store.GetRequest(ctx, id); err == nil {
		data["Request"] = row
	}
	entries := make([]auditEntry, 0, len(rep.Entries))
	for _, e := range rep.Entries {
		entries = append(entries, auditEntry{At: e.At, Kind: string(e.Kind), Rule: string(e.Rule), Title: ruleTitle(string(e.Rule)), Actor: e.Actor, Detail: e.Detail})
	}
	data["Entries"] = entries
	// Breaches first, then what was met, then what did not apply; the
	// catalogue's order within each.
	rank := map[string]int{audit.Breached: 0, audit.Met: 1, audit.NotApplicable: 2}
	verdicts := make([]auditVerdict, 0, len(rep.Compliance))
	counts := map[string]int{}
	for _, v := range rep.Compliance {
		verdicts = append(verdicts, auditVerdict{Verdict: v, Title: ruleTitle(string(v.Rule))})
		counts[v.Status]++
	}
	sort.SliceStable(verdicts, func(i, j int) bool { return rank[verdicts[i].Status] < rank[verdicts[j].Status] })
	data["Verdicts"] = verdicts
	data["Counts"] = counts
	switch action {
	case "verify":
		var body struct {
			Runs []audit.JSONRun `json:"runs"`
		}
		if err := c.api(ctx, u.Actor, http.MethodGet, path+"/history?runs=all", nil, "", &body); err != nil {
			c.failAPI(w, r, u, err)
			return
		}
		dc, fc := codec.Converters(c.opt.API.Encryption.Codec)
		v, err := audit.Verify(body.Runs, dc, fc)
		res := replayResult{OK: err == nil && v.OK(), Runs: v.Runs, Events: v.Events, Failed: v.Failed}
		if err != nil {
			res.Errs = append(res.Errs, err.Error())
		}
		for _, run := range v.Runs {
			if run.Err != nil {
				res.Errs = append(res.Errs, fmt.Sprintf("run %s: %v", run.RunID, run.Err))
			}
		}
		data["Replay"] = res
	case "check":
		var rep consistency.Report
		if err := c.api(ctx, u.Actor, http.MethodGet, path+"/check", nil, "", &rep); err != nil {
			c.failAPI(w, r, u, err)
			return
		}
		data["Check"] = rep
	}
	c.render(w, r, u, http.StatusOK, "audit_request", data)
}

// complianceCSV is the compliance table of a date range as CSV: one row
// per rule, with the requests that breached it.
func (c *Console) complianceCSV(w http.ResponseWriter, r *http.Request, u *user) {
	d, err := c.compliance(r.Context(), r)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			http.Error(w, ae.Message, ae.Status)
			return
		}
		c.log.Error("compliance csv", zap.Error(err))
		http.Error(w, "the compliance could not be read", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="compliance-%s-%s.csv"`, d.From, d.To))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"# from " + d.From + " to " + d.To + ": " + strconv.Itoa(d.Judged) + " of " + strconv.Itoa(d.Total) + " requests judged"})
	_ = cw.Write([]string{"rule", "title", "met", "breached", "not_applicable", "breaching_requests"})
	for _, x := range d.Rows {
		_ = cw.Write([]string{x.Rule, x.Title, strconv.Itoa(x.Met), strconv.Itoa(x.Breached), strconv.Itoa(x.NotApplicable), strings.Join(x.Breaches, " ")})
	}
	cw.Flush()
}

func init() {
	addLabels(map[string][2]string{
		"audit.title":          {"Audit", "稽核"},
		"audit.find":           {"Find a request", "查找服务单"},
		"audit.find_help":      {"Request id, customer's phone or product serial", "服务单号、顾客电话或产品序列号"},
		"audit.search":         {"Find", "查找"},
		"audit.none_found":     {"No request has this id, phone or serial.", "没有与该单号、电话或序列号匹配的服务单。"},
		"audit.results":        {"Requests found", "查找结果"},
		"audit.id":             {"Request", "服务单"},
		"audit.status":         {"Status", "状态"},
		"audit.customer":       {"Customer", "顾客"},
		"audit.region":         {"Region", "区域"},
		"audit.engineer":       {"Engineer", "工程师"},
		"audit.created":        {"Created", "创建时间"},
		"audit.compliance":     {"Compliance across requests", "服务单合规统计"},
		"audit.from":           {"From", "起始日期"},
		"audit.to":             {"To", "截止日期"},
		"audit.show":           {"Show", "显示"},
		"audit.csv":            {"Download CSV", "下载 CSV"},
		"audit.coverage":       {"%d of %d requests judged", "已评判 %d / %d 个服务单"},
		"audit.coverage_part":  {"The rest are being judged from their histories now; counts below cover only the requests judged. Reload in a moment.", "其余服务单正在根据历史记录评判；下列统计仅含已评判的服务单，请稍后刷新。"},
		"audit.rule":           {"Rule", "规则"},
		"audit.rule_title":     {"What it says", "规则内容"},
		"audit.met":            {"met", "符合"},
		"audit.breached":       {"breached", "违反"},
		"audit.not_applicable": {"not applicable", "不适用"},
		"audit.breaching":      {"Breaching requests", "违规服务单"},
		"audit.request":        {"Audit of %s", "服务单 %s 稽核"},
		"audit.timeline":       {"Timeline (rebuilt from the Temporal history)", "时间线（由 Temporal 历史重建）"},
		"audit.at":             {"At", "时间"},
		"audit.kind":           {"What happened", "事项"},
		"audit.actor":          {"Who", "执行人"},
		"audit.detail":         {"Detail", "详情"},
		"audit.verdicts":       {"Verdict on every rule (breaches first)", "各规则判定（违规在前）"},
		"audit.verdict":        {"Verdict", "判定"},
		"audit.evidence":       {"Evidence", "依据"},
		"audit.temporal":       {"Open in the Temporal UI", "在 Temporal 界面中打开"},
		"audit.runs":           {"%d run(s), %d history events", "%d 次运行，%d 个历史事件"},
		"audit.verify":         {"Replay verification", "重放校验"},
		"audit.verify_help":    {"Replays the recorded history against this build's workflow code (housecall audit verify).", "用当前版本的工作流代码重放已记录的历史（housecall audit verify）。"},
		"audit.replays":        {"The history replays cleanly against this build: %d run(s), %d events. A worker of this version can carry the request on.", "历史记录可在当前版本上完整重放：%d 次运行，%d 个事件。当前版本的 worker 可以继续处理此服务单。"},
		"audit.no_replay":      {"The history does NOT replay against this build: %d of %d run(s) fail. A rule was changed without workflow.GetVersion.", "历史记录无法在当前版本上重放：%d / %d 次运行失败。有规则未经 workflow.GetVersion 就被修改。"},
		"audit.check":          {"Check PostgreSQL against the history", "核对 PostgreSQL 与历史记录"},
		"audit.check_help":     {"Compares the business records in PostgreSQL with what the history recorded (housecall audit check).", "比较 PostgreSQL 中的业务记录与历史记录（housecall audit check）。"},
		"audit.check_ok":       {"PostgreSQL agrees with the history: %d steps compared, no difference.", "PostgreSQL 与历史记录一致：比较了 %d 个步骤，没有差异。"},
		"audit.check_bad":      {"PostgreSQL and the history disagree: %d difference(s).", "PostgreSQL 与历史记录不一致：%d 处差异。"},
		"audit.check_pending":  {"%d step(s) are still being written to PostgreSQL.", "%d 个步骤仍在写入 PostgreSQL。"},
		"audit.summary":        {"%d breached, %d met, %d not applicable", "违反 %d，符合 %d，不适用 %d"},
		"audit.no_entries":     {"No timeline entries.", "没有时间线记录。"},
	})
}
