package console

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

// /kpi: the service's KPIs over a date range, per region and per engineer,
// computed from the records (store.KPIs) and drawn as small SVG bar charts
// rendered on the server (no chart library, no script).

// Published first-time-fix figures of field service (industry surveys, e.g.
// Aberdeen Group's field-service benchmarks): about 77 % on average, 88 %
// for the best in class. They are references drawn beside the company's
// own figure, which is always computed from its records.
const (
	publishedFTFAverage = 0.77
	publishedFTFBest    = 0.88
)

func (c *Console) routeKPI() {
	c.handle("GET /kpi", auditRoles, c.kpiPage)
}

// chart is a horizontal bar chart drawn by the template.
type chart struct {
	ID     string
	Title  string
	Width  int
	Height int
	Bars   []chartBar
	Refs   []chartRef
	Empty  bool
	LabelW int
}

type chartBar struct {
	Label string
	Text  string
	Class string
	Y, W  int
	// MarkX is a p90 tick (0: none).
	MarkX int
	TextX int
}

type chartRef struct {
	Label string
	X     int
	Class string
}

const (
	chartLabelW = 130
	chartBarW   = 300
	chartRowH   = 22
	chartTop    = 22
)

// barChart draws values (nil: no data, not drawn) against max.
func barChart(id, title string, labels []string, values []float64, marks []float64, max float64, text func(v float64) string, classes []string) chart {
	ch := chart{ID: id, Title: title, Width: chartLabelW + chartBarW + 90, LabelW: chartLabelW}
	if max <= 0 || math.IsNaN(max) {
		max = 1
	}
	scale := func(v float64) int { return int(math.Round(v / max * chartBarW)) }
	y := chartTop
	for i, l := range labels {
		v := values[i]
		b := chartBar{Label: l, Y: y, Class: "bar"}
		if len(classes) > i && classes[i] != "" {
			b.Class += " " + classes[i]
		}
		if v < 0 {
			b.Text = "—"
		} else {
			b.W = scale(v)
			b.Text = text(v)
			if marks != nil && marks[i] > 0 {
				b.MarkX = chartLabelW + scale(marks[i])
			}
		}
		b.TextX = chartLabelW + b.W + 6
		if b.MarkX+6 > b.TextX {
			b.TextX = b.MarkX + 6
		}
		ch.Bars = append(ch.Bars, b)
		y += chartRowH
	}
	ch.Empty = len(labels) == 0
	ch.Height = y + 8
	return ch
}

func pct(v float64) string { return fmt.Sprintf("%.1f %%", v*100) }

func hours(d time.Duration) float64 { return d.Hours() }

func fmtHours(v float64) string {
	if v < 1.0/60 {
		return fmt.Sprintf("%.0f s", v*3600)
	}
	if v < 1 {
		return fmt.Sprintf("%.0f min", v*60)
	}
	return fmt.Sprintf("%.1f h", v)
}

// ruleMatrix is compliance per rule (rows) per region and engineer (columns).
type ruleMatrix struct {
	Groups  []string
	Regions int // the first Regions groups are regions, the rest engineers
	Rows    []ruleMatrixRow
}

type ruleMatrixRow struct {
	Rule, Title string
	Cells       []ruleCell
}

type ruleCell struct {
	Text string
	Bad  bool
}

type kpiRow struct {
	store.KPIGroup
	Label string
}

func (c *Console) kpiPage(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	from, to, fs, ts := c.dateRange(r)
	now := c.opt.Now()
	within := c.opt.Policy(now).ComplaintResponse.Std()
	// Compliance per rule reads the verdict cache: judge what is stale first.
	c.judgeRange(ctx, from, to, judgeWait)
	judged, total, err := c.opt.Store.Coverage(ctx, from, to)
	if err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	rep, err := c.opt.Store.KPIs(ctx, store.KPIFilter{From: from, To: to, ComplaintWithin: within})
	if err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	lg := lang(r)
	all := translate(lg, "kpi.all")
	none := translate(lg, "kpi.unassigned")
	groups := func(gs []store.KPIGroup) []kpiRow {
		out := []kpiRow{{KPIGroup: rep.All, Label: all}}
		for _, g := range gs {
			l := g.Key
			if l == "" {
				l = none
			}
			out = append(out, kpiRow{KPIGroup: g, Label: l})
		}
		return out
	}
	regions, engineers := groups(rep.Regions), groups(rep.Engineers)

	ftfChart := func(id, title string, rows []kpiRow) chart {
		var labels []string
		var values []float64
		var classes []string
		for i, g := range rows {
			labels = append(labels, g.Label)
			values = append(values, g.FTF())
			if i == 0 {
				classes = append(classes, "own")
			} else {
				classes = append(classes, "")
			}
		}
		ch := barChart(id, title, labels, values, nil, 1, pct, classes)
		ch.Refs = []chartRef{
			{Label: translate(lg, "kpi.ref_avg") + " " + pct(publishedFTFAverage), X: chartLabelW + int(math.Round(publishedFTFAverage*chartBarW)), Class: "ref"},
			{Label: translate(lg, "kpi.ref_best") + " " + pct(publishedFTFBest), X: chartLabelW + int(math.Round(publishedFTFBest*chartBarW)), Class: "ref best"},
		}
		return ch
	}
	valueChart := func(id, title string, rows []kpiRow, v func(store.KPIGroup) float64, mark func(store.KPIGroup) float64, text func(float64) string, rate bool) chart {
		var labels []string
		var values, marks []float64
		max := 0.0
		for _, g := range rows {
			labels = append(labels, g.Label)
			x := v(g.KPIGroup)
			values = append(values, x)
			m := 0.0
			if mark != nil {
				m = mark(g.KPIGroup)
				marks = append(marks, m)
			}
			max = math.Max(max, math.Max(x, m))
		}
		if rate {
			max = 1
		}
		return barChart(id, title, labels, values, marks, max, text, nil)
	}
	meanSched := func(g store.KPIGroup) float64 {
		if g.ScheduleN == 0 {
			return -1
		}
		return hours(g.ScheduleMean)
	}
	p90Sched := func(g store.KPIGroup) float64 { return hours(g.ScheduleP90) }
	meanDone := func(g store.KPIGroup) float64 {
		if g.CompleteN == 0 {
			return -1
		}
		return hours(g.CompleteMean)
	}
	p90Done := func(g store.KPIGroup) float64 { return hours(g.CompleteP90) }
	revisits := func(g store.KPIGroup) float64 { return g.RevisitsPerRequest() }
	complaints := func(g store.KPIGroup) float64 { return g.ComplaintRate() }
	flags := func(g store.KPIGroup) float64 { return float64(g.Flags) }
	compliance := func(g store.KPIGroup) float64 { return g.ComplianceRate() }
	num := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	count := func(v float64) string { return fmt.Sprintf("%.0f", v) }

	// Compliance per rule (all requests): the rules that applied, worst first.
	var ruleLabels []string
	var ruleValues []float64
	type rr struct {
		rule string
		rate float64
	}
	var rules []rr
	for _, rule := range sop.AllRules {
		if x, ok := rep.All.Rules[string(rule)]; ok && x.Rate() >= 0 {
			rules = append(rules, rr{string(rule), x.Rate()})
		}
	}
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].rate < rules[j].rate })
	for _, x := range rules {
		ruleLabels = append(ruleLabels, x.rule)
		ruleValues = append(ruleValues, x.rate)
	}

	// Compliance per rule per region and per engineer: the rules that
	// applied anywhere, in document order.
	mx := ruleMatrix{}
	cols := append(append([]kpiRow{}, regions[1:]...), engineers[1:]...)
	for _, g := range cols {
		mx.Groups = append(mx.Groups, g.Label)
	}
	mx.Regions = len(regions) - 1
	for _, rule := range sop.AllRules {
		x, ok := rep.All.Rules[string(rule)]
		if !ok || x.Rate() < 0 {
			continue
		}
		row := ruleMatrixRow{Rule: string(rule), Title: ruleTitle(string(rule))}
		for _, g := range cols {
			cell := ruleCell{Text: "—"}
			if y, ok := g.Rules[string(rule)]; ok && y.Rate() >= 0 {
				cell = ruleCell{Text: fmt.Sprintf("%s (%d/%d)", pct(y.Rate()), y.Met, y.Met+y.Breached), Bad: y.Breached > 0}
			}
			row.Cells = append(row.Cells, cell)
		}
		mx.Rows = append(mx.Rows, row)
	}

	t := func(k string) string { return translate(lg, k) }
	data := map[string]any{
		"From": fs, "To": ts, "Judged": judged, "Total": total, "Complete": judged == total,
		"All": rep.All, "Regions": regions[1:], "Engineers": engineers[1:],
		"Within":        within.String(),
		"FTFText":       pct(rep.All.FTF()),
		"Matrix":        mx,
		"Published":     map[string]string{"avg": pct(publishedFTFAverage), "best": pct(publishedFTFBest)},
		"ComplianceCSV": "/audit/compliance.csv?" + url.Values{"from": {fs}, "to": {ts}}.Encode(),
		"Charts": []chart{
			ftfChart("chart-ftf-region", t("kpi.ftf")+" · "+t("kpi.by_region"), regions),
			ftfChart("chart-ftf-engineer", t("kpi.ftf")+" · "+t("kpi.by_engineer"), engineers),
			valueChart("chart-revisits", t("kpi.revisits")+" · "+t("kpi.by_region"), regions, revisits, nil, num, false),
			valueChart("chart-schedule", t("kpi.to_schedule")+" · "+t("kpi.by_region"), regions, meanSched, p90Sched, fmtHours, false),
			valueChart("chart-complete", t("kpi.to_complete")+" · "+t("kpi.by_region"), regions, meanDone, p90Done, fmtHours, false),
			valueChart("chart-complaints", t("kpi.complaints")+" · "+t("kpi.by_region"), regions, complaints, nil, pct, true),
			valueChart("chart-compliance-engineer", t("kpi.compliance")+" · "+t("kpi.by_engineer"), engineers, compliance, nil, pct, true),
			valueChart("chart-flags", t("kpi.flags")+" · "+t("kpi.by_engineer"), engineers, flags, nil, count, false),
			barChart("chart-rules", t("kpi.compliance_rules"), ruleLabels, ruleValues, nil, 1, pct, nil),
		},
	}
	c.render(w, r, u, http.StatusOK, "kpi", data)
}

func init() {
	addLabels(map[string][2]string{
		"kpi.title":            {"KPIs", "服务指标"},
		"kpi.range":            {"Requests created from %s to %s", "%s 至 %s 创建的服务单"},
		"kpi.all":              {"all (ours)", "全部（本公司）"},
		"kpi.unassigned":       {"unassigned", "未分配"},
		"kpi.by_region":        {"by region", "按区域"},
		"kpi.by_engineer":      {"by engineer", "按工程师"},
		"kpi.ftf":              {"First-time fix", "一次修复率"},
		"kpi.ftf_help":         {"Closed at the first visit with the customer satisfied, over the closed requests that had a visit.", "首次上门即完成且顾客满意，占有上门记录的已完成服务单的比例。"},
		"kpi.ref_avg":          {"published average", "行业平均"},
		"kpi.ref_best":         {"best in class", "行业最佳"},
		"kpi.published":        {"Published figures: about %s on average, %s for the best in class (dashed lines).", "公开数据：行业平均约 %s，最佳约 %s（虚线）。"},
		"kpi.revisits":         {"Re-visits per request", "每单重复上门次数"},
		"kpi.to_schedule":      {"Time to schedule (mean; tick: p90)", "预约用时（平均；刻度：P90）"},
		"kpi.to_complete":      {"Time to complete (mean; tick: p90)", "完成用时（平均；刻度：P90）"},
		"kpi.complaints":       {"Complaints answered in time", "投诉按时答复率"},
		"kpi.flags":            {"Falsification flags", "疑似造假标记"},
		"kpi.compliance":       {"Rule compliance", "规则合规率"},
		"kpi.compliance_rules": {"Compliance per rule (rules that applied, worst first)", "各规则合规率（仅适用规则，最差在前）"},
		"kpi.requests":         {"Requests", "服务单"},
		"kpi.closed":           {"Closed with a visit", "已完成（有上门）"},
		"kpi.mean":             {"mean", "平均"},
		"kpi.p90":              {"p90", "P90"},
		"kpi.no_data":          {"no data", "无数据"},
		"kpi.table_region":     {"Per region", "按区域"},
		"kpi.table_engineer":   {"Per engineer", "按工程师"},
		"kpi.group":            {"Group", "分组"},
		"kpi.matrix":           {"Compliance per rule, per region and per engineer", "各规则合规率（按区域、按工程师）"},
		"kpi.within":           {"Complaints count as answered in time within sop.complaint_response (%s).", "在 sop.complaint_response（%s）内答复的投诉计为按时。"},
	})
}
