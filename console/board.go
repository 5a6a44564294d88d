package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// The dispatch board (/board): one day of the service area, engineers as
// rows and hours as columns, each appointment drawn at its time with the
// travel to it before it, as inline SVG (the CSP forbids inline styles;
// SVG geometry is attributes). Beside it the requests waiting to be
// booked. A booking is the API's own: appointment_requested with the
// chosen engineer, sent through c.api, and its answer (booked; another
// slot proposed; the 409 reason) is shown in words.

// Geometry of the board (SVG user units = CSS pixels).
const (
	boardFirstHour = 7  // the first hour drawn
	boardLastHour  = 21 // the board ends at this hour
	boardLabelW    = 130
	boardHourW     = 58
	boardHeadH     = 26
	boardRowH      = 46
	boardSnap      = 15 // minutes: a click on the board picks a quarter hour
	// boardWaitingMax is how many waiting requests the list shows.
	boardWaitingMax = 100
)

func init() {
	addLabels(map[string][2]string{
		"board.title":            {"Dispatch board", "派工看板"},
		"board.day":              {"Day", "日期"},
		"board.prev":             {"← previous day", "← 前一天"},
		"board.next":             {"next day →", "后一天 →"},
		"board.today":            {"today", "今天"},
		"board.region":           {"Region", "区域"},
		"board.all_regions":      {"all regions", "全部区域"},
		"board.show":             {"Show", "显示"},
		"board.engineers":        {"Engineers", "工程师"},
		"board.no_engineers":     {"No active engineer in this region.", "该区域没有在岗工程师。"},
		"board.travel":           {"travel", "路程"},
		"board.travel_min":       {"%d min travel", "路程 %d 分钟"},
		"board.legend_booked":    {"booked", "已预约"},
		"board.legend_done":      {"done", "已完成"},
		"board.legend_travel":    {"travel before the visit", "上门前路程"},
		"board.inactive":         {"inactive", "停用"},
		"board.unscheduled":      {"Waiting to be booked", "待预约"},
		"board.more_waiting":     {"More requests wait: the %d waiting longest are shown; filter by region to see others.", "还有更多请求在等待：仅显示等待最久的 %d 个；按区域筛选可查看其他请求。"},
		"board.none_waiting":     {"No request is waiting to be booked.", "没有待预约的请求。"},
		"board.proposed":         {"proposed to the customer: %s", "已向客户建议：%s"},
		"board.waited":           {"waiting %s", "已等待 %s"},
		"board.pick":             {"book…", "预约…"},
		"board.book":             {"Book a visit", "预约上门"},
		"board.request":          {"Request", "服务请求"},
		"board.engineer":         {"Engineer", "工程师"},
		"board.any_engineer":     {"any engineer of the region", "该区域任一工程师"},
		"board.start":            {"Start", "开始时间"},
		"board.length":           {"Length", "时长"},
		"board.minutes":          {"%d min", "%d 分钟"},
		"board.submit":           {"Book", "预约"},
		"board.hint":             {"Click an empty place on an engineer's row to fill in the engineer and the time.", "点击工程师一行的空白处即可填入工程师和时间。"},
		"board.required":         {"required", "必填"},
		"board.bad_time":         {"not a time of day (HH:MM)", "不是有效时间（HH:MM）"},
		"board.bad_length":       {"must be 15–600 minutes", "须为 15–600 分钟"},
		"board.bad_day":          {"day: not a date (YYYY-MM-DD)", "日期格式错误（YYYY-MM-DD）"},
		"board.fix_fields":       {"The booking was not sent: see the fields.", "预约未发送：请检查标出的字段。"},
		"board.booked":           {"Booked: %s with %s, %s.", "已预约：%s，工程师 %s，%s。"},
		"board.proposed_result":  {"%s cannot be booked (%s); another slot was proposed to the customer: %s with %s. The request waits for the customer's consent.", "%s 无法预约（%s）；已向客户建议另一时间：%s，工程师 %s。等待客户同意。"},
		"board.not_booked":       {"Not booked: %s", "未预约：%s"},
		"board.not_booked_plain": {"Not booked: no engineer can take that slot; the centre was told.", "未预约：没有工程师能接该时段；已通知客服中心。"},
		"board.refused":          {"Refused (%d): %s", "被拒绝（%d）：%s"},
		"board.now":              {"now", "现在"},
		"board.live":             {"updates live", "实时更新"},
		"board.dur_d":            {"%dd %dh", "%d天%d小时"},
		"board.dur_h":            {"%dh %dm", "%d小时%d分"},
		"board.dur_m":            {"%dm", "%d分钟"},
	})
}

func (c *Console) routeBoard() {
	c.handle("GET /board", centreRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		d, ok := c.boardDay(w, r, u, r.URL.Query())
		if !ok {
			return
		}
		c.render(w, r, u, http.StatusOK, "board", d)
	})
	// The live part of the page (the SVG and the waiting list), redrawn on
	// every change (board.js).
	c.handle("GET /board/live", centreRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		d, ok := c.boardDay(w, r, u, r.URL.Query())
		if !ok {
			return
		}
		c.fragment(w, r, u, "board", "board-live", d)
	})
	c.handle("POST /board/book", centreRoles, c.boardBook)
}

// boardData is the board page.
type boardData struct {
	Day, Prev, Next, TodayDay string
	Today                     bool
	Region                    string
	Regions                   []string
	Width, Height, LaneW      int
	Geo                       boardGeo
	Hours                     []boardHour
	Rows                      []boardRow
	NowX                      int // -1: not today or outside the hours
	Unscheduled               []boardWaiting
	// More says more requests wait than the list shows (the longest waiting first).
	More bool
	// Engineers are the active engineers of the rows (the form's choice).
	Engineers []store.Engineer
	Lengths   []int
	Form      bookForm
	Errors    map[string]string
	Result    *bookResult
}

// boardGeo is the board's geometry, for the template and board.js.
type boardGeo struct{ LabelW, HourW, RowH, HeadH, FirstHour, LastHour, Snap int }

var geo = boardGeo{boardLabelW, boardHourW, boardRowH, boardHeadH, boardFirstHour, boardLastHour, boardSnap}

type boardHour struct {
	X     int
	Label string
}

// The rows, appointments and waiting requests carry what the template
// draws, computed here (the page is drawn often, with hundreds of them: no
// template function calls or promoted fields per appointment).
type boardRow struct {
	Engineer              store.Engineer
	Y, NameY, SubY, LineY int
	Sub                   string // region · travel · inactive
	Jobs                  []boardJob
}

type boardJob struct {
	RequestID, Status        string
	AppointmentID            int64
	X, W, TX, TW             int // the visit and the travel before it
	LX, TY, VY, LabelY, SubY int
	Class                    string
	Label                    string // request id and customer, cut to fit
	Sub                      string // time and status
	Title                    string
}

type boardWaiting struct {
	ID, Status, StatusLabel, Region string
	Name, Model, Symptoms           string
	Proposal                        string // "proposed to the customer: …", or ""
	Waited                          string // "waiting 2h 5m"
}

// bookForm is the booking form, kept filled in when it fails.
type bookForm struct {
	Request, Engineer, Time, Minutes, Key string
}

// bookResult is the API's answer in words.
type bookResult struct {
	OK      bool
	Kind    string // booked, proposed, not_booked, refused, invalid
	Message string
}

var dayPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// boardDay reads the board's day (?day, ?region) from PostgreSQL.
func (c *Console) boardDay(w http.ResponseWriter, r *http.Request, u *user, q url.Values) (*boardData, bool) {
	p := c.page(r, u, nil)
	day, ok := pageDay(q.Get("day"), p.Now, p.Loc)
	if !ok {
		c.fail(w, r, u, http.StatusBadRequest, translate(p.Lang, "board.bad_day"))
		return nil, false
	}
	region := strings.TrimSpace(q.Get("region"))
	d, err := c.loadBoard(r.Context(), p, day, region)
	if err != nil {
		c.log.Error("board", zap.Error(err))
		c.fail(w, r, u, http.StatusInternalServerError, c.tr(r, "err.internal"))
		return nil, false
	}
	return d, true
}

func (c *Console) loadBoard(ctx context.Context, p *Page, day time.Time, region string) (*boardData, error) {
	loc := p.Loc
	end := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	// The three reads run at once (each on its own connection).
	var (
		rows                []store.BoardRow
		waiting             []store.Unscheduled
		regions             []string
		errRows, errWaiting error
		errRegions          error
		wg                  sync.WaitGroup
	)
	wg.Add(2)
	go func() { defer wg.Done(); rows, errRows = c.opt.Store.BoardDay(ctx, day, end, region) }()
	go func() {
		defer wg.Done()
		waiting, errWaiting = c.opt.Store.UnscheduledRequests(ctx, region, boardWaitingMax+1)
	}()
	regions, errRegions = c.opt.Store.BoardRegions(ctx)
	wg.Wait()
	if err := errors.Join(errRows, errWaiting, errRegions); err != nil {
		return nil, err
	}
	more := len(waiting) > boardWaitingMax
	if more {
		waiting = waiting[:boardWaitingMax]
	}
	now := p.Now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	d := &boardData{
		Day:      day.Format("2006-01-02"),
		Prev:     time.Date(day.Year(), day.Month(), day.Day()-1, 0, 0, 0, 0, loc).Format("2006-01-02"),
		Next:     end.Format("2006-01-02"),
		TodayDay: today.Format("2006-01-02"),
		Today:    day.Equal(today),
		Region:   region,
		Regions:  regions,
		Width:    boardLabelW + (boardLastHour-boardFirstHour)*boardHourW + 1,
		NowX:     -1,
		Geo:      geo,
		More:     more,
		Lengths:  []int{30, 60, 90, 120, 180, 240},
		Errors:   map[string]string{},
		Form:     bookForm{Minutes: "60", Key: nonce()},
	}
	for h := boardFirstHour; h <= boardLastHour; h++ {
		d.Hours = append(d.Hours, boardHour{X: boardLabelW + (h-boardFirstHour)*boardHourW, Label: fmt.Sprintf("%02d:00", h)})
	}
	origin := time.Date(day.Year(), day.Month(), day.Day(), boardFirstHour, 0, 0, 0, loc)
	x := func(t time.Time) int {
		v := boardLabelW + int(t.Sub(origin).Minutes()*boardHourW/60)
		return max(boardLabelW, min(v, d.Width-1))
	}
	if d.Today {
		if nx := x(p.Now); p.Now.After(origin) && nx < d.Width-1 {
			d.NowX = nx
		}
	}
	for i, row := range rows {
		y := boardHeadH + i*boardRowH
		br := boardRow{Engineer: row.Engineer, Y: y, NameY: y + 19, SubY: y + 35, LineY: y + boardRowH,
			Sub: row.Engineer.Region + " · " + tf(p.Lang, "board.travel_min", row.Engineer.TravelMinutes)}
		if row.Engineer.Active {
			d.Engineers = append(d.Engineers, row.Engineer)
		} else {
			br.Sub += " · " + translate(p.Lang, "board.inactive")
		}
		for _, j := range row.Jobs {
			bj := boardJob{RequestID: j.RequestID, Status: j.Status, AppointmentID: j.AppointmentID,
				X: x(j.Start), TX: x(j.Start.Add(-j.Travel.Std())), TY: y + 8, VY: y + 5, LabelY: y + 20, SubY: y + 35}
			bj.W = max(x(j.End)-bj.X, 3)
			bj.TW = bj.X - bj.TX
			bj.LX = bj.X + 4
			bj.Class = "appt " + j.Status
			if j.RequestStatus != "" {
				bj.Class += " rs-" + string(j.RequestStatus)
			}
			span := j.Start.In(loc).Format("15:04") + "–" + j.End.In(loc).Format("15:04")
			status := p.Status(j.RequestStatus)
			if j.Status == "done" {
				status = translate(p.Lang, "board.legend_done")
			}
			bj.Label = cut(j.RequestID+" "+j.Customer.Name, bj.W/7)
			bj.Sub = cut(span+" · "+status, bj.W/6)
			bj.Title = fmt.Sprintf("%s · %s · %s · %s · %s %s", j.RequestID, j.Customer.Name, span, status,
				translate(p.Lang, "board.travel"), humanDur(p.Lang, j.Travel.Std()))
			br.Jobs = append(br.Jobs, bj)
		}
		d.Rows = append(d.Rows, br)
	}
	d.LaneW = d.Width - boardLabelW
	d.Height = boardHeadH + max(len(rows), 1)*boardRowH + 1
	for _, w := range waiting {
		bw := boardWaiting{ID: w.ID, Status: string(w.Status), StatusLabel: p.Status(w.Status), Region: w.Customer.Region,
			Name: w.Customer.Name, Model: w.Product.Model, Symptoms: w.Symptoms,
			Waited: tf(p.Lang, "board.waited", humanDur(p.Lang, p.Now.Sub(w.CreatedAt)))}
		if w.Proposal != "" {
			bw.Proposal = tf(p.Lang, "board.proposed", w.Proposal)
		}
		d.Unscheduled = append(d.Unscheduled, bw)
	}
	return d, nil
}

// cut shortens s to n runes (with an ellipsis).
func cut(s string, n int) string {
	r := []rune(s)
	if n < 1 {
		return ""
	}
	if len(r) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	return string(r[:n-1]) + "…"
}

// humanDur says a duration the way people do: "2d 3h", "3h 20m", "45m".
func humanDur(lang string, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	m := int(d.Minutes())
	switch {
	case m >= 24*60:
		return tf(lang, "board.dur_d", m/(24*60), m%(24*60)/60)
	case m >= 60:
		return tf(lang, "board.dur_h", m/60, m%60)
	}
	return tf(lang, "board.dur_m", m)
}

// The words of an appointment_proposed entry: why, and with whom.
var (
	proposedWith = regexp.MustCompile(`proposed .* with ([A-Za-z0-9][A-Za-z0-9._-]*), waiting`)
	proposedWhy  = regexp.MustCompile(`^[^(]*\(([^)]*)\)`)
)

var hhmm = regexp.MustCompile(`^([01]?\d|2[0-3]):([0-5]\d)$`)

// boardBook books a request into a slot through the API
// (appointment_requested with the chosen engineer) and shows the board
// with the answer in words; a failed booking comes back filled in.
func (c *Console) boardBook(w http.ResponseWriter, r *http.Request, u *user) {
	f := bookForm{
		Request:  strings.TrimSpace(r.PostFormValue("request")),
		Engineer: strings.TrimSpace(r.PostFormValue("engineer")),
		Time:     strings.TrimSpace(r.PostFormValue("time")),
		Minutes:  strings.TrimSpace(r.PostFormValue("minutes")),
		Key:      strings.TrimSpace(r.PostFormValue("key")),
	}
	q := url.Values{"day": {r.PostFormValue("day")}, "region": {r.PostFormValue("region")}}
	d, ok := c.boardDay(w, r, u, q)
	if !ok {
		return
	}
	p := c.page(r, u, nil)
	lang := p.Lang
	errs := map[string]string{}
	if f.Request == "" {
		errs["request"] = translate(lang, "board.required")
	}
	var start time.Time
	if m := hhmm.FindStringSubmatch(f.Time); m == nil {
		errs["time"] = translate(lang, "board.bad_time")
	} else {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		day, _ := time.ParseInLocation("2006-01-02", d.Day, p.Loc)
		start = time.Date(day.Year(), day.Month(), day.Day(), h, mi, 0, 0, p.Loc)
	}
	minutes, err := strconv.Atoi(f.Minutes)
	if err != nil || minutes < 15 || minutes > 600 {
		errs["minutes"] = translate(lang, "board.bad_length")
	}
	status := http.StatusOK
	if len(errs) > 0 {
		d.Form, d.Errors, status = f, errs, http.StatusBadRequest
		d.Form.Key = nonce()
		d.Result = &bookResult{Kind: "invalid", Message: translate(lang, "board.fix_fields")}
		c.render(w, r, u, status, "board", d)
		return
	}
	end := start.Add(time.Duration(minutes) * time.Minute)
	ev := map[string]any{"type": string(sop.EvAppointmentRequested), "start": start, "end": end}
	if f.Engineer != "" {
		ev["engineer"] = f.Engineer
	}
	if f.Key == "" {
		f.Key = nonce()
	}
	since := c.lastSeq(r.Context(), f.Request)
	var view workflows.View
	err = c.api(r.Context(), u.Actor, http.MethodPost, "/v1/requests/"+url.PathEscape(f.Request)+"/events", ev, f.Key, &view)
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		d.Form, status = f, ae.Status
		for k, v := range ae.Fields {
			switch k {
			case "start", "end":
				errs["time"] = k + ": " + v
			case "engineer":
				errs["engineer"] = v
			default:
				errs[k] = v
			}
		}
		d.Errors = errs
		d.Result = &bookResult{Kind: "refused", Message: tf(lang, "board.refused", ae.Status, ae.Message)}
	case err != nil:
		c.log.Error("board booking", zap.Error(err))
		c.fail(w, r, u, http.StatusInternalServerError, c.tr(r, "err.internal"))
		return
	default:
		d.Result = c.bookingAnswer(r.Context(), p, f, since, start, end, view)
		if !d.Result.OK {
			d.Form = f
		}
		// The board as it is now, with the booking on it.
		fresh, err := c.loadBoard(r.Context(), p, mustDay(d.Day, p.Loc), d.Region)
		if err == nil {
			fresh.Result, fresh.Form = d.Result, d.Form
			d = fresh
		}
	}
	d.Form.Key = nonce()
	c.render(w, r, u, status, "board", d)
}

func mustDay(s string, loc *time.Location) time.Time {
	t, _ := time.ParseInLocation("2006-01-02", s, loc)
	return t
}

// lastSeq is the step of the request's last timeline entry (0: none).
func (c *Console) lastSeq(ctx context.Context, id string) int64 {
	tl, err := c.opt.Store.Timeline(ctx, id)
	if err != nil || len(tl) == 0 {
		return 0
	}
	return tl[len(tl)-1].Seq
}

// bookingAnswer says what the booking came to, from the timeline entries
// written after step since (the calendar's words) and the request's state.
func (c *Console) bookingAnswer(ctx context.Context, p *Page, f bookForm, since int64, start, end time.Time, v workflows.View) *bookResult {
	span := func(a, b time.Time) string {
		return a.In(p.Loc).Format("2006-01-02 15:04") + "–" + b.In(p.Loc).Format("15:04")
	}
	var entries []store.TimelineRow
	if tl, err := c.opt.Store.Timeline(ctx, v.ID); err == nil {
		for _, e := range tl {
			if e.Seq > since {
				entries = append(entries, e)
			}
		}
	}
	last := func(kind sop.Kind) *store.TimelineRow {
		for i := len(entries) - 1; i >= 0; i-- {
			if entries[i].Kind == string(kind) {
				return &entries[i]
			}
		}
		return nil
	}
	if v.Status == sop.StatusScheduled && v.Appointment != nil && last(sop.KindAppointmentBooked) != nil {
		return &bookResult{OK: true, Kind: "booked", Message: tf(p.Lang, "board.booked", v.ID, v.Engineer, span(v.Appointment.Start, v.Appointment.End))}
	}
	if e := last(sop.KindAppointmentProposed); e != nil && v.Proposed != nil {
		who, why := f.Engineer, "—"
		if m := proposedWith.FindStringSubmatch(e.Detail); m != nil {
			who = m[1]
		}
		if m := proposedWhy.FindStringSubmatch(e.Detail); m != nil {
			why = m[1]
		}
		return &bookResult{Kind: "proposed", Message: tf(p.Lang, "board.proposed_result", span(start, end), why, span(v.Proposed.Start, v.Proposed.End), who)}
	}
	if e := last(sop.KindCentreNotified); e != nil {
		return &bookResult{Kind: "not_booked", Message: tf(p.Lang, "board.not_booked", e.Detail)}
	}
	if len(entries) == 0 {
		// The step is not in PostgreSQL yet (View.Writing): the state says.
		if v.Status == sop.StatusScheduled && v.Appointment != nil && v.Appointment.Start.Equal(start) && (f.Engineer == "" || v.Engineer == f.Engineer) {
			return &bookResult{OK: true, Kind: "booked", Message: tf(p.Lang, "board.booked", v.ID, v.Engineer, span(v.Appointment.Start, v.Appointment.End))}
		}
		if v.Status == sop.StatusAwaitingCustomer && v.Proposed != nil {
			return &bookResult{Kind: "proposed", Message: tf(p.Lang, "board.proposed_result", span(start, end), "—", span(v.Proposed.Start, v.Proposed.End), f.Engineer)}
		}
	}
	return &bookResult{Kind: "not_booked", Message: translate(p.Lang, "board.not_booked_plain")}
}
