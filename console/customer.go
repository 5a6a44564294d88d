package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/housecall/housecall/notify"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// The customer's page /c/{token}: a signed, expiring link (customer_link.go)
// that names one request and nothing else. No account and no session: the
// request id comes from the verified token only (no form field names it),
// and the page shows that request's appointment and status in plain words.
// The customer acts through the API's own handler as sop.RoleCustomer with
// the request id as subject, which the API allows on that request only:
// confirm the appointment or ask for another time (R4.1), and after the
// visit say whether they are satisfied, with a rating (R10.2).

// routeCustomer registers the customer's pages.
func (c *Console) routeCustomer() {
	c.mux.HandleFunc("GET /c/{token}", c.customerOnly(c.customerPage))
	c.mux.HandleFunc("POST /c/{token}/{action}", c.customerOnly(c.customerAct))
}

// customerLink is a verified link: its token, the request it names and the
// per-link CSRF token of its forms.
type customerLink struct {
	token string
	id    string
	csrf  string
}

// customerCSRF is the CSRF token of a link's forms: derived from the link
// with the console's secret (there is no session).
func (c *Console) customerCSRF(token string) string {
	return b64.EncodeToString(c.mac("customer-csrf", token))[:32]
}

// customerOnly verifies the link before the handler runs; an invalid or
// expired link gets a page that says so and shows nothing else.
func (c *Console) customerOnly(h func(w http.ResponseWriter, r *http.Request, l customerLink)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.PathValue("token")
		id, err := c.customerRequest(tok)
		if err != nil {
			status, key := http.StatusForbidden, "cust.invalid"
			if errors.Is(err, ErrLinkExpired) {
				status, key = http.StatusGone, "cust.expired"
			}
			c.customerFail(w, r, status, c.tr(r, key))
			return
		}
		l := customerLink{token: tok, id: id, csrf: c.customerCSRF(tok)}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameOrigin(r) {
				c.customerFail(w, r, http.StatusForbidden, c.tr(r, "err.cross_site"))
				return
			}
			got := r.PostFormValue("csrf")
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(l.csrf)) != 1 {
				c.customerFail(w, r, http.StatusForbidden, c.tr(r, "cust.csrf"))
				return
			}
		}
		h(w, r, l)
	}
}

// customerFail renders the error page without staff navigation or data.
func (c *Console) customerFail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := c.page(r, nil, map[string]any{"Status": status, "Message": msg})
	p.Customer = true
	c.renderPage(w, status, "customer_error", p)
}

// customerView is what the customer sees of their request.
type customerView struct {
	Token    string
	Name     string
	Model    string
	Status   sop.Status
	Word     string // cust.status.* label key
	Final    bool
	Window   *when
	Engineer string // the engineer's name from the roster
	// Confirmed: the customer confirmed the appointment.
	Confirmed bool
	// Proposed is a slot offered to the customer (Offer: they may accept it).
	Proposed *when
	Offer    bool
	// CanConfirm: a booked appointment to confirm; CanReschedule: another
	// time may be asked for; Reschedule: the one asked for.
	CanConfirm    bool
	CanReschedule bool
	Reschedule    *workflows.Reschedule
	Preferred     *when
	Ratings       []int
	// Visit is the visit whose satisfaction the customer may confirm (0 none).
	Visit int
	// Done is the answer just given (?done=…), Error a refusal (409) in
	// words, Fields the API's field errors, Form what was sent.
	Done   string
	Error  string
	Fields map[string]string
	Form   map[string]string
}

func (c *Console) customerView(ctx context.Context, r *http.Request, l customerLink) (*customerView, error) {
	v, err := c.opt.API.QueryState(ctx, l.id)
	if err != nil {
		return nil, err
	}
	loc := c.opt.Policy(c.opt.Now()).Location()
	cv := &customerView{Token: l.token, Name: v.Customer.Name, Model: v.Product.Model, Status: v.Status,
		Word: "cust.status." + string(v.Status), Final: v.Status.Final(), Window: windowIn(v.Appointment, loc),
		Proposed: windowIn(v.Proposed, loc), Offer: v.Proposed != nil && v.Status == sop.StatusAwaitingCustomer,
		Confirmed: v.AppointmentConfirmed, Reschedule: v.Reschedule, Visit: v.ConfirmVisit, Form: map[string]string{},
		Ratings: []int{1, 2, 3, 4, 5}}
	if rs := v.Reschedule; rs != nil && rs.Start != nil && rs.End != nil {
		cv.Preferred = windowIn(&sop.Window{Start: *rs.Start, End: *rs.End}, loc)
	}
	if v.Engineer != "" && v.Appointment != nil {
		cv.Engineer = v.Engineer
		if e, err := c.opt.Store.GetEngineer(ctx, v.Engineer); err == nil && e.Name != "" {
			cv.Engineer = e.Name
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			c.log.Warn("customer page: engineer", zap.Error(err))
		}
	}
	cv.CanConfirm = v.Appointment != nil && !v.AppointmentConfirmed &&
		(v.Status == sop.StatusScheduled || v.Status == sop.StatusEnRoute)
	cv.CanReschedule = v.Reschedule == nil && (v.Status == sop.StatusScheduled || v.Status == sop.StatusAwaitingCustomer ||
		v.Status == sop.StatusScheduling)
	switch d := r.URL.Query().Get("done"); d {
	case "confirmed", "accepted", "reschedule", "satisfaction":
		cv.Done = d
	}
	return cv, nil
}

// customerPage shows the request to its customer.
func (c *Console) customerPage(w http.ResponseWriter, r *http.Request, l customerLink) {
	cv, err := c.customerView(r.Context(), r, l)
	if err != nil {
		c.customerStateFailed(w, r, err)
		return
	}
	c.customerRender(w, r, l, http.StatusOK, cv)
}

func (c *Console) customerStateFailed(w http.ResponseWriter, r *http.Request, err error) {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		c.customerFail(w, r, http.StatusNotFound, c.tr(r, "cust.invalid"))
		return
	}
	c.log.Error("customer page", zap.Error(err))
	c.customerFail(w, r, http.StatusServiceUnavailable, c.tr(r, "cust.unavailable"))
}

func (c *Console) customerRender(w http.ResponseWriter, r *http.Request, l customerLink, status int, cv *customerView) {
	p := c.page(r, nil, cv)
	p.Customer = true
	p.CSRF = l.csrf
	c.renderPage(w, status, "customer", p)
}

// customerAct sends the customer's answer through the API as the customer
// of this request (the id is the link's, never the form's).
func (c *Console) customerAct(w http.ResponseWriter, r *http.Request, l customerLink) {
	ctx := r.Context()
	actor := sop.Actor{Role: sop.RoleCustomer, Subject: l.id}
	send := func(ev map[string]any) error {
		return c.api(ctx, actor, "POST", "/v1/requests/"+l.id+"/events", ev, "", nil)
	}
	cv, err := c.customerView(ctx, r, l)
	if err != nil {
		c.customerStateFailed(w, r, err)
		return
	}
	form := map[string]string{}
	for _, k := range []string{"reason", "date", "from", "to", "satisfied", "rating", "note"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	var done string
	var fields map[string]string
	switch r.PathValue("action") {
	case "confirm":
		done = "confirmed"
		if cv.Offer {
			// A proposed slot: accepting it books it (R4.1).
			done = "accepted"
			err = send(map[string]any{"type": sop.EvAppointmentAnswer, "accepted": true})
		} else {
			err = send(map[string]any{"type": sop.EvAppointmentConfirmed})
		}
	case "reschedule":
		done = "reschedule"
		ev := map[string]any{"type": sop.EvRescheduleRequested, "reason": form["reason"]}
		fields = map[string]string{}
		if form["date"] != "" || form["from"] != "" || form["to"] != "" {
			loc := c.page(r, nil, nil).Loc
			start, e1 := time.ParseInLocation("2006-01-02 15:04", form["date"]+" "+form["from"], loc)
			end, e2 := time.ParseInLocation("2006-01-02 15:04", form["date"]+" "+form["to"], loc)
			switch {
			case form["date"] == "" || e1 != nil && e2 != nil:
				fields["start"] = c.tr(r, "cust.bad_date")
			case e1 != nil:
				fields["start"] = c.tr(r, "cust.bad_time")
			case e2 != nil:
				fields["end"] = c.tr(r, "cust.bad_time")
			default:
				ev["start"], ev["end"] = start.UTC(), end.UTC()
			}
		}
		if form["reason"] == "" {
			fields["reason"] = c.tr(r, "cust.required")
		}
		if len(fields) > 0 {
			break
		}
		if cv.Offer {
			// The proposed slot does not suit: declined first (R4.1).
			if err = send(map[string]any{"type": sop.EvAppointmentAnswer, "accepted": false}); err != nil {
				break
			}
		}
		err = send(ev)
	case "satisfaction":
		done = "satisfaction"
		if cv.Visit == 0 {
			err = &APIError{Status: http.StatusConflict, Message: c.tr(r, "cust.nothing_to_confirm")}
			break
		}
		ev := map[string]any{"type": sop.EvSatisfactionConfirmed, "visit": cv.Visit}
		fields = map[string]string{}
		switch form["satisfied"] {
		case "yes":
			ev["satisfied"] = true
		case "no":
			ev["satisfied"] = false
		default:
			fields["satisfied"] = c.tr(r, "cust.choose")
		}
		if form["rating"] != "" {
			n, e := strconv.Atoi(form["rating"])
			if e != nil {
				fields["rating"] = c.tr(r, "cust.choose")
			} else {
				ev["rating"] = n
			}
		}
		if form["note"] != "" {
			ev["note"] = form["note"]
		}
		if len(fields) > 0 {
			break
		}
		err = send(ev)
	default:
		c.customerFail(w, r, http.StatusNotFound, c.tr(r, "err.not_found"))
		return
	}
	if err == nil && len(fields) == 0 {
		http.Redirect(w, r, "/c/"+l.token+"?done="+done, http.StatusSeeOther)
		return
	}
	// Refused: the page again, with the reason and the form filled in.
	if again, e := c.customerView(ctx, r, l); e == nil {
		cv = again
	}
	cv.Done, cv.Form, cv.Fields = "", form, fields
	status := http.StatusBadRequest
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		status = ae.Status
		if len(ae.Fields) > 0 {
			cv.Fields = ae.Fields
		} else {
			cv.Error = ae.Message
		}
	case err != nil:
		c.log.Error("customer answer", zap.Error(err))
		status, cv.Error = http.StatusInternalServerError, c.tr(r, "err.internal")
	}
	c.customerRender(w, r, l, status, cv)
}

// when is a window as the customer reads it, in the service area's zone.
type when struct{ Day, From, To string }

func windowIn(w *sop.Window, loc *time.Location) *when {
	if w == nil {
		return nil
	}
	return &when{Day: w.Start.In(loc).Format("2006-01-02"), From: w.Start.In(loc).Format("15:04"), To: w.End.In(loc).Format("15:04")}
}

func init() {
	addLabels(map[string][2]string{
		"event.appointment_confirmed":   {"appointment confirmed by the customer", "顾客确认预约"},
		"event.reschedule_requested":    {"another time asked for by the customer", "顾客申请改约"},
		"cust.title":                    {"Your service visit", "您的上门服务"},
		"cust.hello":                    {"Hello, %s", "%s，您好"},
		"cust.product":                  {"Product", "产品"},
		"cust.date":                     {"Date", "日期"},
		"cust.time":                     {"Time", "时间"},
		"cust.engineer":                 {"Engineer", "服务工程师"},
		"cust.confirmed":                {"You confirmed this appointment.", "您已确认此预约。"},
		"cust.proposed":                 {"The time you asked for was not free. We propose:", "您要求的时间已约满，我们建议："},
		"cust.accept":                   {"Accept this time", "接受这个时间"},
		"cust.confirm":                  {"Confirm the appointment", "确认预约"},
		"cust.other_time":               {"Ask for another time", "申请改约时间"},
		"cust.reason":                   {"Why does this time not suit you?", "改约原因"},
		"cust.prefer_help":              {"A time that suits you better (optional):", "您方便的时间（可选）："},
		"cust.from":                     {"From", "从"},
		"cust.to":                       {"To", "至"},
		"cust.send_request":             {"Send my request", "提交改约申请"},
		"cust.reschedule_open":          {"You asked for another time: the service centre will call you to agree it.", "您已申请改约，服务中心将致电与您确认新时间。"},
		"cust.you_prefer":               {"You prefer", "您希望的时间："},
		"cust.after_visit":              {"How was the visit?", "本次服务评价"},
		"cust.satisfied_q":              {"Are you satisfied with the service?", "您对本次服务满意吗？"},
		"cust.sat_yes":                  {"Yes, satisfied", "满意"},
		"cust.sat_no":                   {"No, not satisfied", "不满意"},
		"cust.rating":                   {"Your rating (1 = poor, 5 = excellent)", "您的评分（1 最差，5 最好）"},
		"cust.comment":                  {"Anything you want to tell us (optional)", "其他意见（可选）"},
		"cust.send_answer":              {"Send my answer", "提交评价"},
		"cust.foot":                     {"This page is for you alone: do not share its link.", "此页面仅供您本人使用，请勿转发链接。"},
		"cust.done.confirmed":           {"Thank you: your appointment is confirmed.", "谢谢，您的预约已确认。"},
		"cust.done.accepted":            {"Thank you: the proposed time is booked for you.", "谢谢，已为您预约建议的时间。"},
		"cust.done.reschedule":          {"Thank you: the service centre has your request and will call you.", "谢谢，服务中心已收到您的申请，将与您联系。"},
		"cust.done.satisfaction":        {"Thank you for your answer.", "感谢您的评价。"},
		"cust.invalid_title":            {"This link cannot be opened", "无法打开此链接"},
		"cust.invalid":                  {"This link is not valid. Please use the link from your latest message, or call the service centre.", "此链接无效。请使用最新消息中的链接，或致电服务中心。"},
		"cust.expired":                  {"This link has expired. Please use the link from your latest message, or call the service centre.", "此链接已过期。请使用最新消息中的链接，或致电服务中心。"},
		"cust.invalid_help":             {"For your privacy nothing is shown here.", "为保护您的隐私，此处不显示任何信息。"},
		"cust.csrf":                     {"Refused: the form is not from this page. Reload the page and try again.", "已拒绝：表单不是来自本页面。请刷新页面后重试。"},
		"cust.unavailable":              {"Your request cannot be shown right now. Please try again in a moment.", "暂时无法显示您的服务单，请稍后再试。"},
		"cust.required":                 {"required", "必填"},
		"cust.choose":                   {"please choose", "请选择"},
		"cust.bad_date":                 {"give a date, a start and an end time", "请填写日期及起止时间"},
		"cust.bad_time":                 {"give a time as hh:mm", "请按 时:分 填写时间"},
		"cust.nothing_to_confirm":       {"There is no visit to confirm.", "没有需要确认的服务。"},
		"cust.status.verifying":         {"We are checking the details of your request.", "我们正在核实您的报修信息。"},
		"cust.status.triage":            {"We are looking at your problem.", "我们正在分析您的问题。"},
		"cust.status.consulting":        {"We are helping you by phone.", "我们正在电话为您指导。"},
		"cust.status.awaiting_parts":    {"We are getting the parts for your repair.", "我们正在为您准备配件。"},
		"cust.status.scheduling":        {"We are finding a time for your visit; we will call you.", "我们正在为您安排上门时间，稍后会与您联系。"},
		"cust.status.awaiting_customer": {"We need your answer about the time of the visit.", "请您确认上门时间。"},
		"cust.status.scheduled":         {"Your visit is booked.", "您的上门服务已预约。"},
		"cust.status.en_route":          {"The engineer is on the way.", "工程师正在路上。"},
		"cust.status.at_door":           {"The engineer is at your door.", "工程师已到达您家门口。"},
		"cust.status.in_service":        {"The engineer is working on your product.", "工程师正在为您服务。"},
		"cust.status.workshop":          {"Your product is being repaired in our workshop.", "您的产品正在返厂维修。"},
		"cust.status.followup":          {"The visit is done; we will call you to check all is well.", "服务已完成，我们将回访确认。"},
		"cust.status.closed":            {"Your request is completed.", "您的服务已完成。"},
		"cust.status.cancelled":         {"Your request was cancelled.", "您的服务单已取消。"},
	})
}

// CustomerLinks makes the customer's own link that a notification to the
// customer carries (notify.Dispatcher.Link): signed with secret, valid ttl
// from sending, at publicURL. Staff notifications get none (the dispatcher
// asks only for audience customer).
func CustomerLinks(publicURL string, secret []byte, ttl time.Duration, now func() time.Time) func(notify.Notification) string {
	if now == nil {
		now = time.Now
	}
	return func(n notify.Notification) string {
		if n.Audience != string(sop.ToCustomer) {
			return ""
		}
		return CustomerLink(publicURL, secret, n.RequestID, now().Add(ttl))
	}
}
