package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// The engineer's pages (issue 11): phone-sized, big targets, one hand.
// /engineer is the day's jobs in order and the job in hand;
// /engineer/jobs/{id} is one job. A job shows the one next step the
// request waits for from the engineer as a big button at the bottom (from
// the request's pending events), the door protocol live from its clocks
// (R6.3: the next knock counting down, then "phone the customer now", then
// "leave a note"), and the rest in a smaller "more" section. Every form
// goes through the API as the engineer (c.api) with an Idempotency-Key
// nonce of its own, so a double tap is one event.

func (c *Console) routeEngineer() {
	c.handle("GET /engineer", engineerRoles, c.engineerDay)
	c.handle("GET /engineer/jobs/{id}", engineerRoles, c.engineerJob)
	c.handle("GET /engineer/jobs/{id}/panel", engineerRoles, c.engineerPanel)
	c.handle("POST /engineer/jobs/{id}/events", engineerRoles, c.engineerEvent)
}

// engPrimary is the order in which a pending event is the job's one next
// step; pending events of the engineer not listed here go to "more".
var engPrimary = []sop.EventType{
	sop.EvResumed,
	sop.EvCallResult, sop.EvNoteLeft,
	sop.EvDepartureConfirmed, sop.EvDeparted, sop.EvArrived,
	sop.EvKnocked, sop.EvDoorAnswered,
	sop.EvApologyAnswer,
	sop.EvDiagnosed, sop.EvWorkExplained, sop.EvCompleted,
	sop.EvCardReturned,
}

// engForms are the event types the engineer's page has a form for.
var engForms = append(slices.Clone(engPrimary),
	sop.EvDelayed, sop.EvEntryRefused, sop.EvPaused, sop.EvProblemEscalated, sop.EvIncident,
	sop.EvCompensationRequested, sop.EvSuggestion)

// engMore lists the secondary actions a status always offers (beside the
// pending events that are not the next step).
func engMore(st sop.Status) []sop.EventType {
	switch st {
	case sop.StatusScheduled, sop.StatusEnRoute:
		return []sop.EventType{sop.EvDelayed}
	case sop.StatusAtDoor:
		return []sop.EventType{sop.EvEntryRefused, sop.EvIncident}
	case sop.StatusInService:
		return []sop.EventType{sop.EvProblemEscalated, sop.EvIncident, sop.EvCompensationRequested, sop.EvSuggestion}
	case sop.StatusFollowup, sop.StatusClosed:
		return []sop.EventType{sop.EvSuggestion}
	}
	return nil
}

// engDay is the data of /engineer.
type engDay struct {
	Day        time.Time
	Prev, Next string
	Today      bool
	Jobs       []store.DayJob
	// InHand is the request of the job in hand ("" none).
	InHand string
	Job    *engJob
}

// engJob is the data of a job's panel.
type engJob struct {
	ID      string
	View    workflows.View
	Primary *engForm
	More    []*engForm
	// Door is the door protocol now (R6.3), when at the door.
	Door *engDoor
	// Clocks are the request's other pending clocks.
	Clocks []workflows.Pending
	// Flash is an answer in words (a 409's reason, an error).
	Flash string
	// Failed is the form sent that came back (its values and errors).
	Failed *engFailed
	Done   string // the event just accepted
}

// engForm is one action's form.
type engForm struct {
	Type      sop.EventType
	Rule      sop.Rule
	Nonce     string
	Checklist []sop.Checklist
}

// engDoor is what the door protocol asks now.
type engDoor struct {
	Knocked   bool
	NextKnock *time.Time // knock_prompt
	CallAt    *time.Time // call_customer
	CallNow   bool       // call_result pending: phone the customer now
	NoteNow   bool       // note_left pending: leave a note
	WaitUntil *time.Time // door_wait
	Phone     string
}

// engFailed is a form that came back: what was sent and what was wrong.
type engFailed struct {
	Type   sop.EventType
	Values url.Values
	Errors map[string]string
}

// Ratings are the choices of a 1–5 rating.
func (j *engJob) Ratings() []int { return []int{1, 2, 3, 4, 5} }

// RefuseReasons are the reasons of entry_refused (R6.6–R6.8).
func (j *engJob) RefuseReasons() []string {
	return []string{sop.RefusedNotHome, sop.RefusedHelperRefuses, sop.RefusedDoubtsEngineer, sop.RefusedProductElsewhere,
		sop.RefusedPowerCut, sop.RefusedGoingOut, sop.RefusedEating}
}

// PauseReasons are the reasons of paused (R12.4).
func (j *engJob) PauseReasons() []string {
	return []string{sop.PauseCustomerRequest, sop.PauseFetchTool, sop.PauseFetchPart, sop.PauseGetHelp}
}

// Val is a value of the form of type t as sent, when it came back.
func (j *engJob) Val(t sop.EventType, name string) string {
	if j.Failed == nil || j.Failed.Type != t {
		return ""
	}
	return j.Failed.Values.Get(name)
}

// Checked says whether a checkbox/radio of the form of t was sent with v.
func (j *engJob) Checked(t sop.EventType, name, v string) bool {
	if j.Failed == nil || j.Failed.Type != t {
		return false
	}
	return slices.Contains(j.Failed.Values[name], v)
}

// Err is the reason a field of the form of t was refused ("" none).
func (j *engJob) Err(t sop.EventType, name string) string {
	if j.Failed == nil || j.Failed.Type != t {
		return ""
	}
	return j.Failed.Errors[name]
}

// Errs lists the reasons of the fields the form does not show (so none is
// lost).
func (j *engJob) Errs(t sop.EventType) []string {
	if j.Failed == nil || j.Failed.Type != t {
		return nil
	}
	shown := engShownFields[t]
	var out []string
	for k, v := range j.Failed.Errors {
		if !slices.Contains(shown, k) {
			out = append(out, k+": "+v)
		}
	}
	slices.Sort(out)
	return out
}

// engShownFields are the fields each form shows errors next to.
var engShownFields = map[sop.EventType][]string{
	sop.EvDeparted:              {"eta", "checklist"},
	sop.EvDelayed:               {"minutes", "reason"},
	sop.EvArrived:               {"checklist"},
	sop.EvKnocked:               {"answered", "checklist"},
	sop.EvDoorAnswered:          {"checklist"},
	sop.EvCallResult:            {"answered"},
	sop.EvEntryRefused:          {"reason", "address", "note"},
	sop.EvApologyAnswer:         {"accepted"},
	sop.EvDiagnosed:             {"cause", "onsite", "workshop_accepted"},
	sop.EvWorkExplained:         {"accepted", "minutes", "fee"},
	sop.EvPaused:                {"reason", "resume_at"},
	sop.EvProblemEscalated:      {"description"},
	sop.EvIncident:              {"description"},
	sop.EvCompensationRequested: {"reason", "amount"},
	sop.EvSuggestion:            {"text"},
	sop.EvCompleted: {"quality_rating", "attitude_rating", "satisfied", "signed_by_customer", "fix_certain",
		"record.cause", "record.measures", "record.parts_used", "record.charge", "checklist", "signature"},
}

var nonceRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// dayBounds is the day of t in loc: [00:00, next 00:00).
func dayBounds(t time.Time, loc *time.Location) (time.Time, time.Time) {
	y, m, d := t.In(loc).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 1)
}

// pageDay is the day a page shows (the engineer's, the board's):
// ?day=YYYY-MM-DD in the service area's zone, today when empty; false for
// a malformed day.
func pageDay(day string, now time.Time, loc *time.Location) (time.Time, bool) {
	if day == "" {
		from, _ := dayBounds(now, loc)
		return from, true
	}
	t, err := time.ParseInLocation("2006-01-02", day, loc)
	return t, err == nil && dayPattern.MatchString(day)
}

func (c *Console) engineerDay(w http.ResponseWriter, r *http.Request, u *user) {
	now := c.opt.Now()
	loc := c.opt.Policy(now).Location()
	today, _ := dayBounds(now, loc)
	day, ok := pageDay(r.URL.Query().Get("day"), now, loc)
	if !ok {
		c.fail(w, r, u, http.StatusBadRequest, c.tr(r, "eng.bad_day"))
		return
	}
	from, to := dayBounds(day, loc)
	jobs, err := c.opt.Store.EngineerDay(r.Context(), u.Subject, from, to)
	if err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	d := &engDay{Day: from, Jobs: jobs, Today: from.Equal(today),
		Prev: from.AddDate(0, 0, -1).Format("2006-01-02"), Next: to.Format("2006-01-02")}
	for _, j := range jobs {
		if j.Status == "booked" && !j.RequestStatus.Final() {
			d.InHand = j.RequestID
			break
		}
	}
	if d.InHand != "" {
		job, err := c.engineerJobData(r.Context(), u, d.InHand)
		if err == nil {
			d.Job = job
		} else {
			var ae *APIError
			if !errors.As(err, &ae) {
				c.failAPI(w, r, u, err)
				return
			}
			d.Job = &engJob{ID: d.InHand, Flash: ae.Message}
		}
	}
	c.render(w, r, u, http.StatusOK, "engineer", d)
}

func (c *Console) engineerJob(w http.ResponseWriter, r *http.Request, u *user) {
	job, err := c.engineerJobData(r.Context(), u, r.PathValue("id"))
	if err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	if ev := sop.EventType(r.URL.Query().Get("done")); slices.Contains(engForms, ev) {
		job.Done = string(ev)
	}
	c.render(w, r, u, http.StatusOK, "engineer_job", job)
}

// engineerPanel is the job's panel alone (live updates re-fetch it).
func (c *Console) engineerPanel(w http.ResponseWriter, r *http.Request, u *user) {
	job, err := c.engineerJobData(r.Context(), u, r.PathValue("id"))
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			http.Error(w, ae.Message, ae.Status)
			return
		}
		http.Error(w, c.tr(r, "err.internal"), http.StatusInternalServerError)
		return
	}
	c.fragment(w, r, u, "engineer_job", "eng_panel_page", job)
}

// engineerJobData reads the request as the engineer (the API refuses
// another engineer's job: 403) and lays out its actions.
func (c *Console) engineerJobData(ctx context.Context, u *user, id string) (*engJob, error) {
	var v workflows.View
	if err := c.api(ctx, u.Actor, http.MethodGet, "/v1/requests/"+url.PathEscape(id), nil, "", &v); err != nil {
		return nil, err
	}
	j := &engJob{ID: v.ID, View: v}
	var pending []workflows.Pending
	for _, p := range v.Pending {
		switch {
		case p.Event != "" && p.Event.Allows(sop.RoleEngineer) && slices.Contains(engForms, p.Event):
			pending = append(pending, p)
		case p.Clock != "":
			j.Clocks = append(j.Clocks, p)
		}
	}
	form := func(t sop.EventType, rule sop.Rule) *engForm {
		return &engForm{Type: t, Rule: rule, Nonce: nonce(), Checklist: sop.ChecklistsFor(t)}
	}
	for _, t := range engPrimary {
		if i := slices.IndexFunc(pending, func(p workflows.Pending) bool { return p.Event == t }); i >= 0 {
			j.Primary = form(t, pending[i].Rule)
			break
		}
	}
	seen := map[sop.EventType]bool{}
	if j.Primary != nil {
		seen[j.Primary.Type] = true
	}
	for _, p := range pending {
		if !seen[p.Event] {
			seen[p.Event] = true
			j.More = append(j.More, form(p.Event, p.Rule))
		}
	}
	for _, t := range engMore(v.Status) {
		if !seen[t] {
			seen[t] = true
			j.More = append(j.More, form(t, ""))
		}
	}
	if v.Status == sop.StatusAtDoor {
		d := &engDoor{Phone: v.Customer.Phone}
		for _, p := range pending {
			switch p.Event {
			case sop.EvCallResult:
				d.CallNow = true
			case sop.EvNoteLeft:
				d.NoteNow = true
			case sop.EvDoorAnswered:
				d.Knocked = true // door_answered is taken after a knock (R6.2)
			}
		}
		rest := j.Clocks[:0:0]
		for _, p := range j.Clocks {
			at := p.At
			switch p.Clock {
			case "knock_prompt":
				if d.NextKnock == nil {
					d.NextKnock = at
				}
			case "call_customer":
				d.CallAt = at
			case "door_wait":
				d.WaitUntil = at
			default:
				rest = append(rest, p)
			}
		}
		j.Clocks = rest
		j.Door = d
	}
	return j, nil
}

// engineerEvent sends one form's event through the API as the engineer.
func (c *Console) engineerEvent(w http.ResponseWriter, r *http.Request, u *user) {
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, u, http.StatusBadRequest, err.Error())
		return
	}
	now := c.opt.Now()
	loc := c.opt.Policy(now).Location()
	ev, problems := engEventFromForm(r.PostForm, now, loc, lang(r))
	back := func(status int, flash string, fields map[string]string) {
		job, err := c.engineerJobData(r.Context(), u, id)
		if err != nil {
			c.failAPI(w, r, u, err)
			return
		}
		job.Flash = flash
		vals := url.Values{}
		for k, vs := range r.PostForm {
			if k != "csrf" && k != "nonce" {
				vals[k] = vs
			}
		}
		job.Failed = &engFailed{Type: ev.Type, Values: vals, Errors: fields}
		c.render(w, r, u, status, "engineer_job", job)
	}
	if !slices.Contains(engForms, ev.Type) {
		c.fail(w, r, u, http.StatusBadRequest, fmt.Sprintf(c.tr(r, "eng.unknown_event"), string(ev.Type)))
		return
	}
	if len(problems) > 0 {
		back(http.StatusBadRequest, c.tr(r, "eng.fix_fields"), problems)
		return
	}
	key := r.PostFormValue("nonce")
	if !nonceRE.MatchString(key) {
		key = nonce()
	}
	err := c.api(r.Context(), u.Actor, http.MethodPost, "/v1/requests/"+url.PathEscape(id)+"/events", ev, "console-engineer-"+key, nil)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			c.failAPI(w, r, u, err)
			return
		}
		switch ae.Status {
		case http.StatusBadRequest:
			back(http.StatusBadRequest, ae.Message, ae.Fields)
		case http.StatusConflict, http.StatusUnprocessableEntity:
			back(ae.Status, ae.Message, nil)
		default:
			c.fail(w, r, u, ae.Status, ae.Message)
		}
		return
	}
	http.Redirect(w, r, "/engineer/jobs/"+url.PathEscape(id)+"?done="+url.QueryEscape(string(ev.Type)), http.StatusSeeOther)
}

// engEventFromForm reads a form into an event. Values that are not even of
// their kind (a number, a time) are refused here in words; everything else
// is the API's to judge.
func engEventFromForm(f url.Values, now time.Time, loc *time.Location, lg string) (sop.Event, map[string]string) {
	ev := sop.Event{Type: sop.EventType(strings.TrimSpace(f.Get("type")))}
	bad := map[string]string{}
	str := func(name string) string { return strings.TrimSpace(f.Get(name)) }
	boolean := func(name string) *bool {
		switch str(name) {
		case "true", "yes":
			v := true
			return &v
		case "false", "no":
			v := false
			return &v
		}
		return nil
	}
	integer := func(name string) *int {
		s := str(name)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad[name] = translate(lg, "eng.not_whole_number")
			return nil
		}
		return &n
	}
	number := func(name string) *float64 {
		s := str(name)
		if s == "" {
			return nil
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			bad[name] = translate(lg, "eng.not_number")
			return nil
		}
		return &n
	}
	// clock reads "15:04" as the next such time of day around now, in the
	// service area's zone.
	clock := func(name string) *time.Time {
		s := str(name)
		if s == "" {
			return nil
		}
		hm, err := time.Parse("15:04", s)
		if err != nil {
			bad[name] = translate(lg, "eng.not_time")
			return nil
		}
		y, m, d := now.In(loc).Date()
		t := time.Date(y, m, d, hm.Hour(), hm.Minute(), 0, 0, loc)
		if t.Before(now.Add(-12 * time.Hour)) {
			t = t.AddDate(0, 0, 1)
		}
		return &t
	}
	ev.Note = str("note")
	if items := f["checklist"]; len(items) > 0 {
		ev.Checklist = slices.Clone(items)
	}
	switch ev.Type {
	case sop.EvDeparted:
		ev.ETA = clock("eta")
	case sop.EvDelayed:
		ev.Minutes = integer("minutes")
		ev.Reason = str("reason")
	case sop.EvKnocked, sop.EvCallResult:
		ev.Answered = boolean("answered")
		if ev.Type == sop.EvKnocked && !sop.Bool(ev.Answered, false) {
			ev.Checklist = nil // shoe covers go on when the door opens (R6.9)
		}
	case sop.EvEntryRefused:
		ev.Reason = str("reason")
		ev.Wait = boolean("wait")
		ev.Address = str("address")
	case sop.EvApologyAnswer, sop.EvWorkExplained:
		ev.Accepted = boolean("accepted")
		if ev.Type == sop.EvWorkExplained {
			ev.Minutes = integer("minutes")
			ev.Fee = number("fee")
		}
	case sop.EvDiagnosed:
		ev.Cause = str("cause")
		ev.Onsite = boolean("onsite")
		ev.WorkshopAccepted = boolean("workshop_accepted")
	case sop.EvPaused:
		ev.Reason = str("reason")
		ev.ResumeAt = clock("resume_at")
	case sop.EvProblemEscalated, sop.EvIncident:
		ev.Description = str("description")
	case sop.EvCompensationRequested:
		ev.Reason = str("reason")
		ev.Amount = number("amount")
	case sop.EvSuggestion:
		ev.Text = str("text")
	case sop.EvCompleted:
		ev.QualityRating = integer("quality_rating")
		ev.AttitudeRating = integer("attitude_rating")
		ev.Satisfied = boolean("satisfied")
		ev.SignedByCustomer = boolean("signed_by_customer")
		ev.FixCertain = boolean("fix_certain")
		rec := sop.ServiceRecord{Cause: str("record.cause"), Measures: str("record.measures")}
		for _, line := range strings.FieldsFunc(f.Get("record.parts_used"), func(r rune) bool { return r == '\n' || r == ',' || r == '，' }) {
			if p := strings.TrimSpace(line); p != "" {
				rec.PartsUsed = append(rec.PartsUsed, p)
			}
		}
		if ch := number("record.charge"); ch != nil {
			rec.Charge = *ch
		}
		if rec.Cause != "" || rec.Measures != "" || len(rec.PartsUsed) > 0 || rec.Charge != 0 {
			ev.Record = &rec
		}
		ev.Signature = str("signature")
		// The console asks for the drawing when the customer signed (the
		// API itself stays compatible with callers that send none).
		if sop.Bool(ev.SignedByCustomer, false) && ev.Signature == "" {
			bad["signature"] = translate(lg, "eng.sign_required")
		}
	}
	return ev, bad
}

func init() {
	addLabels(map[string][2]string{
		"eng.title":                     {"My jobs", "我的任务"},
		"eng.today":                     {"Today", "今天"},
		"eng.prev":                      {"◀ Day before", "◀ 前一天"},
		"eng.next":                      {"Day after ▶", "后一天 ▶"},
		"eng.back_today":                {"Today", "回到今天"},
		"eng.no_jobs":                   {"No jobs this day.", "这一天没有任务。"},
		"eng.bad_day":                   {"The day must be a date: YYYY-MM-DD.", "日期格式应为 YYYY-MM-DD。"},
		"eng.in_hand":                   {"Job in hand", "当前任务"},
		"eng.open":                      {"Open", "打开"},
		"eng.call":                      {"Call", "致电"},
		"eng.map":                       {"Map", "地图"},
		"eng.travel":                    {"travel %s", "路程 %s"},
		"eng.done":                      {"done", "已完成"},
		"eng.product":                   {"Product", "产品"},
		"eng.symptoms":                  {"Fault", "故障"},
		"eng.appointment":               {"Appointment", "预约时间"},
		"eng.status":                    {"Status", "状态"},
		"eng.next_step":                 {"Next step", "下一步"},
		"eng.nothing":                   {"Nothing waits for you on this job now.", "此任务目前无需您操作。"},
		"eng.more":                      {"More actions", "更多操作"},
		"eng.clocks":                    {"Deadlines", "时限"},
		"eng.fix_fields":                {"Some fields need a look: see below.", "部分内容需要修改，见下方。"},
		"eng.unknown_event":             {"The console has no form for %q.", "控制台没有 %q 的表单。"},
		"eng.not_whole_number":          {"must be a whole number", "必须是整数"},
		"eng.not_number":                {"must be a number", "必须是数字"},
		"eng.not_time":                  {"must be a time of day (HH:MM)", "必须是时间（时:分）"},
		"eng.sign_required":             {"the customer signed: draw the signature on the screen (or answer that the customer did not sign)", "顾客已签字：请在屏幕上签名（或选择顾客未签字）"},
		"eng.sent":                      {"Sent: %s", "已提交：%s"},
		"eng.live":                      {"live", "实时"},
		"eng.checklist":                 {"Checklist (%s)", "检查清单（%s）"},
		"eng.rule":                      {"rule %s", "规则 %s"},
		"eng.yes":                       {"Yes", "是"},
		"eng.no":                        {"No", "否"},
		"eng.note":                      {"Note (optional)", "备注（可选）"},
		"eng.door.title":                {"At the door", "门口"},
		"eng.door.knock_first":          {"Ring the bell, then knock lightly three times, twice (R6.2).", "先按门铃，再轻敲三下，重复两次（R6.2）。"},
		"eng.door.next_knock":           {"No answer yet: next knock in", "无人应答：下次敲门倒计时"},
		"eng.door.call_at":              {"Phone the customer in", "致电顾客倒计时"},
		"eng.door.call_now":             {"Phone the customer now", "现在致电顾客"},
		"eng.door.call_button":          {"📞 Call %s", "📞 拨打 %s"},
		"eng.door.note_now":             {"The customer did not answer: ask the neighbours, look downstairs, then leave a note with the service number.", "顾客未接电话：询问邻居、到楼下看看，然后留下写有服务单号的留言条。"},
		"eng.door.wait_until":           {"Waiting for the door, at most until", "在门口等候，最迟至"},
		"eng.ev.departure_confirmed":    {"Confirm departure time", "确认出发时间"},
		"eng.ev.departed":               {"Depart now", "出发"},
		"eng.ev.delayed":                {"Running late", "将会迟到"},
		"eng.ev.arrived":                {"Arrived", "已到达"},
		"eng.ev.knocked":                {"Knocked", "已敲门"},
		"eng.ev.call_result":            {"Phone call", "电话结果"},
		"eng.ev.door_answered":          {"Door answered", "已开门"},
		"eng.ev.note_left":              {"Note left on the door", "已留言"},
		"eng.ev.entry_refused":          {"Entry refused", "无法入户"},
		"eng.ev.apology_answer":         {"Apology", "道歉结果"},
		"eng.ev.diagnosed":              {"Diagnosis", "诊断"},
		"eng.ev.work_explained":         {"Work and fee explained", "已说明工作与费用"},
		"eng.ev.completed":              {"Complete the visit", "完成服务"},
		"eng.ev.card_returned":          {"Service card returned", "已交回服务卡"},
		"eng.ev.paused":                 {"Pause the work", "暂停工作"},
		"eng.ev.resumed":                {"Resume the work", "恢复工作"},
		"eng.ev.problem_escalated":      {"Ask HQ about a new problem", "向总部反映新问题"},
		"eng.ev.incident":               {"Report an incident", "报告意外事件"},
		"eng.ev.compensation_requested": {"Customer asks for compensation", "顾客要求赔偿"},
		"eng.ev.suggestion":             {"Customer's suggestion", "顾客建议"},
		"eng.f.eta":                     {"Expected arrival (HH:MM)", "预计到达（时:分）"},
		"eng.f.minutes":                 {"Minutes", "分钟"},
		"eng.f.reason":                  {"Reason", "原因"},
		"eng.f.answered_yes":            {"Door answered", "有人开门"},
		"eng.f.answered_no":             {"No answer", "无人应答"},
		"eng.f.call_yes":                {"Customer answered", "顾客接听"},
		"eng.f.call_no":                 {"No answer", "无人接听"},
		"eng.f.wait":                    {"I wait at the door, as the customer wishes", "按顾客意愿在门口等候"},
		"eng.f.address":                 {"Where the product is", "产品所在地址"},
		"eng.f.cause":                   {"Real cause found", "查明的故障原因"},
		"eng.f.onsite":                  {"Repaired in the home?", "能否上门修复？"},
		"eng.f.workshop_accepted":       {"If not: the customer accepts the workshop repair?", "如不能：顾客是否同意返厂维修？"},
		"eng.f.accepted":                {"Customer agrees?", "顾客是否同意？"},
		"eng.f.work_minutes":            {"Expected minutes of work", "预计工作时间（分钟）"},
		"eng.f.fee":                     {"Fee quoted (0 if free)", "报价（免费填 0）"},
		"eng.f.resume_at":               {"Resume at (HH:MM)", "恢复时间（时:分）"},
		"eng.f.description":             {"What happened", "情况说明"},
		"eng.f.amount":                  {"Amount asked", "要求金额"},
		"eng.f.text":                    {"What the customer suggests", "顾客的建议"},
		"eng.f.quality":                 {"Repair quality (customer's rating)", "维修质量（顾客评分）"},
		"eng.f.attitude":                {"Service attitude (customer's rating)", "服务态度（顾客评分）"},
		"eng.f.satisfied":               {"Customer satisfied?", "顾客是否满意？"},
		"eng.f.signed":                  {"Customer signs the record?", "顾客是否签字？"},
		"eng.f.fix_certain":             {"Fault certainly fixed?", "故障是否确定修复？"},
		"eng.f.record":                  {"Service record", "服务记录"},
		"eng.f.rec_cause":               {"Cause", "故障原因"},
		"eng.f.rec_measures":            {"Measures taken", "处理措施"},
		"eng.f.rec_parts":               {"Parts used (one a line)", "使用的配件（每行一个）"},
		"eng.f.rec_charge":              {"Charge (against a receipt)", "收费（凭收据）"},
		"eng.f.signature":               {"Customer's signature", "顾客签名"},
		"eng.f.sign_here":               {"Sign here with a finger", "请用手指在此签名"},
		"eng.f.clear":                   {"Clear", "清除"},
		"eng.reason.not_home":           {"Customer not at home (said on the phone)", "顾客不在家（电话中告知）"},
		"eng.reason.helper_refuses":     {"Only a helper, who refuses entry", "仅保姆在家，拒绝入内"},
		"eng.reason.doubts_engineer":    {"Customer doubts the engineer", "顾客怀疑工程师身份"},
		"eng.reason.product_elsewhere":  {"The product is elsewhere", "产品不在此地"},
		"eng.reason.power_cut":          {"Power cut", "停电"},
		"eng.reason.going_out":          {"Customer has to go out", "顾客要外出"},
		"eng.reason.eating":             {"Customer is eating", "顾客正在用餐"},
		"eng.pause.customer_request":    {"Customer asks", "顾客要求"},
		"eng.pause.fetch_tool":          {"Fetch a tool", "取工具"},
		"eng.pause.fetch_part":          {"Fetch a part", "取配件"},
		"eng.pause.get_help":            {"Get help", "寻求帮助"},
		"eng.item.tools":                {"tools", "工具"},
		"eng.item.parts":                {"parts, or the loaner unit", "配件或备用机"},
		"eng.item.spare_covers":         {"spare shoe covers", "备用鞋套"},
		"eng.item.note_slips":           {"note slips", "留言条"},
		"eng.item.id_badge":             {"ID badge", "工作证"},
		"eng.item.record_sheet":         {"service record sheet", "服务记录单"},
		"eng.item.receipt":              {"receipt and fee standard", "收据和收费标准"},
		"eng.item.floor_cloth":          {"floor cloth", "地布"},
		"eng.item.appearance":           {"appearance checked: uniform clean and tidy", "仪容检查：工装整洁"},
		"eng.item.badge_worn":           {"ID badge worn", "佩戴工作证"},
		"eng.item.covers_on":            {"shoe covers on: one foot, step in, the other", "穿鞋套：穿一只踏入一只"},
		"eng.item.spare_pair":           {"a spare pair at hand", "备用鞋套在手边"},
		"eng.item.taught_use":           {"customer taught use and maintenance", "已教顾客使用和保养"},
		"eng.item.cleaned_up":           {"work area cleaned up", "已清理工作区域"},
		"eng.item.no_smoking_eating":    {"no smoking, eating or drinking in the home", "未在顾客家吸烟、吃喝"},
		"eng.item.no_gifts":             {"no gifts accepted", "未收受礼品"},
		"eng.item.no_phone_toilet":      {"customer's phone and toilet not used", "未使用顾客的电话和卫生间"},
		"eng.item.card_left":            {"service card with the service number left", "已留下写有服务单号的服务卡"},
		"eng.item.covers_off_outside":   {"shoe covers off outside the door, one foot at a time", "在门外逐只脱下鞋套"},
		"eng.item.thanked":              {"customer thanked, goodbye said", "已感谢顾客并道别"},
		"eng.item.asked_suggestions":    {"customer asked for opinions and suggestions on the product", "已征求顾客对产品的意见和建议"},
	})
}
