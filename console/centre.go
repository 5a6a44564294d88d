package console

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// The call centre (issue 11): the live queue (/centre), the intake form
// (/centre/new, R1.1, R1.3) and a request's page with the actions valid now
// (/centre/requests/{id}). Lists come from PostgreSQL (store.Queue); every
// start and event goes through the API (c.api), so its validation (400
// fields), idempotency and refusals (409 reasons) are the API's.

func (c *Console) routeCentre() {
	c.handle("GET /centre", centreRoles, c.centreQueue)
	c.handle("GET /centre/rows", centreRoles, c.centreRows)
	c.handle("GET /centre/rows/{id}", centreRoles, c.centreRow)
	c.handle("GET /centre/new", centreRoles, c.centreNew)
	c.handle("POST /centre/new", centreRoles, c.centreCreate)
	c.handle("GET /centre/requests/{id}", centreRoles, c.centreRequest)
	c.handle("POST /centre/requests/{id}/events", centreRoles, c.centreEvent)
}

// statuses are the request statuses in the order of the SOP.
var statuses = []sop.Status{sop.StatusVerifying, sop.StatusTriage, sop.StatusConsulting, sop.StatusAwaitingParts,
	sop.StatusScheduling, sop.StatusAwaitingCustomer, sop.StatusScheduled, sop.StatusEnRoute, sop.StatusAtDoor,
	sop.StatusInService, sop.StatusWorkshop, sop.StatusFollowup, sop.StatusClosed, sop.StatusCancelled}

// ---- the queue ----

// queueItem is a row of the queue as drawn.
type queueItem struct {
	store.QueueRow
	// Waits are the first events it waits for.
	Waits []pendingItem
	// More counts the events not shown.
	More int
	// Next is its next clock (nil: none).
	Next *pendingItem
}

// pendingItem is one thing a request waits for, with whether it is late.
type pendingItem struct {
	workflows.Pending
	Overdue bool
}

type queueData struct {
	Status, Region, Engineer, Search string
	Overdue                          bool
	// Query is the filter as a query string (the live rows ask with it).
	Query     string
	Rows      []queueItem
	Statuses  []sop.Status
	Regions   []string
	Engineers []store.Engineer
	Limit     int
}

const queueLimit = 200

func (c *Console) queueFilter(r *http.Request) (store.QueueFilter, queueData) {
	q := r.URL.Query()
	d := queueData{Status: q.Get("status"), Region: q.Get("region"), Engineer: q.Get("engineer"),
		Search: strings.TrimSpace(q.Get("q")), Overdue: q.Get("overdue") != "", Statuses: statuses, Limit: queueLimit}
	f := store.QueueFilter{Status: sop.Status(d.Status), Region: d.Region, Engineer: d.Engineer, Search: d.Search,
		Overdue: d.Overdue, Limit: queueLimit, Now: c.opt.Now()}
	v := url.Values{}
	for k, s := range map[string]string{"status": d.Status, "region": d.Region, "engineer": d.Engineer, "q": d.Search} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if d.Overdue {
		v.Set("overdue", "1")
	}
	d.Query = v.Encode()
	return f, d
}

// item marks what of a row is late (store.OverdueSQL says which).
func item(row store.QueueRow, now time.Time) queueItem {
	it := queueItem{QueueRow: row}
	for _, p := range row.Pending {
		pi := pendingItem{Pending: p, Overdue: pendingOverdue(row.Pending, p, row.Overdue, now)}
		if p.Event != "" {
			it.Waits = append(it.Waits, pi)
		} else if it.Next == nil {
			it.Next = &pi
		}
	}
	// The late ones first, then in the workflow's order.
	slices.SortStableFunc(it.Waits, func(a, b pendingItem) int {
		switch {
		case a.Overdue && !b.Overdue:
			return -1
		case b.Overdue && !a.Overdue:
			return 1
		}
		return 0
	})
	if len(it.Waits) > 2 {
		it.More, it.Waits = len(it.Waits)-2, it.Waits[:2]
	}
	return it
}

// pendingOverdue says whether one pending item is late, by the reading of
// store.OverdueSQL: a clock whose instant passed; an awaited event whose
// clock already fired (info_verified, hq_answer, complaint_answered,
// compensation_decision without their clocks); a call-back clock of a row
// PostgreSQL found escalated.
func pendingOverdue(all []workflows.Pending, p workflows.Pending, rowOverdue bool, now time.Time) bool {
	if p.Clock != "" {
		if p.At != nil && p.At.Before(now) {
			return true
		}
		return rowOverdue && (p.Clock == "callback_overdue" || p.Clock == "confirmation_overdue")
	}
	// late: the clock is gone (it fired) or its instant has passed.
	late := func(clock string) bool {
		i := slices.IndexFunc(all, func(x workflows.Pending) bool { return x.Clock == clock })
		return i < 0 || (all[i].At != nil && all[i].At.Before(now))
	}
	switch p.Event {
	case sop.EvInfoVerified:
		return late("verify_timeout")
	case sop.EvHQAnswer:
		return late("hq_answer_due")
	case sop.EvComplaintAnswered:
		return late("complaint_due")
	case sop.EvCompensationDecision:
		return late("compensation_due")
	case sop.EvFollowupCall, sop.EvFollowupResult, sop.EvSatisfactionConfirmed:
		return rowOverdue && slices.ContainsFunc(all, func(x workflows.Pending) bool {
			return x.Clock == "callback_overdue" || x.Clock == "confirmation_overdue"
		})
	}
	return false
}

func (c *Console) queueRows(r *http.Request, f store.QueueFilter) ([]queueItem, error) {
	rows, err := c.opt.Store.Queue(r.Context(), f)
	if err != nil {
		return nil, err
	}
	out := make([]queueItem, len(rows))
	for i, row := range rows {
		out[i] = item(row, f.Now)
	}
	return out, nil
}

func (c *Console) centreQueue(w http.ResponseWriter, r *http.Request, u *user) {
	f, d := c.queueFilter(r)
	var err error
	if d.Rows, err = c.queueRows(r, f); err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	if d.Engineers, err = c.opt.Store.ListEngineers(r.Context(), ""); err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	regions := map[string]bool{}
	for _, e := range d.Engineers {
		regions[e.Region] = true
	}
	if d.Region != "" {
		regions[d.Region] = true
	}
	for k := range regions {
		d.Regions = append(d.Regions, k)
	}
	sort.Strings(d.Regions)
	c.render(w, r, u, http.StatusOK, "centre", d)
}

// centreRows is the queue's body alone (the live page reloads it on "*").
func (c *Console) centreRows(w http.ResponseWriter, r *http.Request, u *user) {
	f, d := c.queueFilter(r)
	var err error
	if d.Rows, err = c.queueRows(r, f); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.fragment(w, r, u, "centre", "centre_rows", d)
}

// centreRow is one row of the queue (the live page redraws the request
// that changed): 204 when it does not pass the page's filters (any more).
func (c *Console) centreRow(w http.ResponseWriter, r *http.Request, u *user) {
	f, _ := c.queueFilter(r)
	f.ID, f.Limit = r.PathValue("id"), 1
	rows, err := c.queueRows(r, f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if len(rows) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c.fragment(w, r, u, "centre", "centre_row_alone", rows[0])
}

// ---- forms ----

// fieldSpec is one input of a form, named as the API names the field
// (dots nest: "customer.phone"), so the API's 400 fields land next to it.
type fieldSpec struct {
	Name string
	// Kind: text, area, bool, when (datetime-local), date, list (comma
	// separated), int, num, select, tel.
	Kind    string
	Options []string
}

// field is an input as drawn: its value (kept on a failed submit) and the
// API's reason next to it.
type field struct {
	fieldSpec
	// ID is the input's id (the name with "-" for ".").
	ID    string
	Value string
	Error string
}

var intakeFields = []fieldSpec{
	{Name: "kind", Kind: "select", Options: []string{string(sop.KindRepair), string(sop.KindReturn), string(sop.KindInstallationGuidance)}},
	{Name: "customer.name", Kind: "text"},
	{Name: "customer.phone", Kind: "tel"},
	{Name: "customer.address", Kind: "text"},
	{Name: "customer.region", Kind: "text"},
	{Name: "product.model", Kind: "text"},
	{Name: "product.spec", Kind: "text"},
	{Name: "product.colour", Kind: "text"},
	{Name: "product.serial", Kind: "text"},
	{Name: "product.purchase_date", Kind: "date"},
	{Name: "symptoms", Kind: "area"},
	{Name: "customer_requests", Kind: "area"},
	{Name: "preferred.start", Kind: "when"},
	{Name: "preferred.end", Kind: "when"},
}

// eventFields are the inputs of each event the centre sends (contract.md
// "Events", sop.Event.Validate). Every event also takes a note.
var eventFields = map[sop.EventType][]fieldSpec{
	sop.EvInfoVerified: {{Name: "customer.name", Kind: "text"}, {Name: "customer.phone", Kind: "tel"},
		{Name: "customer.address", Kind: "text"}, {Name: "customer.region", Kind: "text"},
		{Name: "product.model", Kind: "text"}, {Name: "product.spec", Kind: "text"}, {Name: "product.colour", Kind: "text"},
		{Name: "product.serial", Kind: "text"}, {Name: "product.purchase_date", Kind: "date"}, {Name: "symptoms", Kind: "area"}},
	sop.EvTriaged: {{Name: "category", Kind: "select", Options: []string{"", sop.CategoryMisuse, sop.CategoryQuality, sop.CategoryInstallation, sop.CategoryUnknown}},
		{Name: "parts", Kind: "list"}, {Name: "onsite_repairable", Kind: "bool"}, {Name: "remote", Kind: "bool"}},
	sop.EvConsultationGiven:     {{Name: "accepted", Kind: "bool"}},
	sop.EvFollowupResult:        {{Name: "resolved", Kind: "bool"}, {Name: "satisfied", Kind: "bool"}},
	sop.EvAppointmentRequested:  {{Name: "start", Kind: "when"}, {Name: "end", Kind: "when"}},
	sop.EvAppointmentAnswer:     {{Name: "accepted", Kind: "bool"}},
	sop.EvReassign:              {{Name: "engineer", Kind: "text"}, {Name: "reason", Kind: "text"}},
	sop.EvCustomerAngry:         {{Name: "consented", Kind: "bool"}},
	sop.EvHQAnswer:              {{Name: "answer", Kind: "area"}},
	sop.EvCompensationDecision:  {{Name: "approved", Kind: "bool"}},
	sop.EvFollowupCall:          {{Name: "satisfied", Kind: "bool"}},
	sop.EvComplaint:             {{Name: "text", Kind: "area"}},
	sop.EvComplaintAnswered:     {{Name: "resolution", Kind: "area"}},
	sop.EvCancel:                {{Name: "reason", Kind: "area"}},
	sop.EvGuidanceCall:          {{Name: "start", Kind: "when"}},
	sop.EvReturnHandled:         {{Name: "accepted", Kind: "bool"}},
	sop.EvSatisfactionConfirmed: {{Name: "visit", Kind: "int"}, {Name: "satisfied", Kind: "bool"}},
	sop.EvIncidentHandled:       {{Name: "resolution", Kind: "area"}, {Name: "continue", Kind: "bool"}},
	sop.EvSuggestion:            {{Name: "text", Kind: "area"}},
}

var noteField = fieldSpec{Name: "note", Kind: "text"}

func specsOf(t sop.EventType) []fieldSpec {
	return append(slices.Clone(eventFields[t]), noteField)
}

// fill draws specs with the values sent (nil: empty) and the reasons.
func fill(specs []fieldSpec, vals url.Values, errs map[string]string) []field {
	out := make([]field, len(specs))
	for i, s := range specs {
		out[i] = field{fieldSpec: s, ID: strings.ReplaceAll(s.Name, ".", "-"), Value: vals.Get(s.Name), Error: errs[s.Name]}
	}
	return out
}

// formBody turns a form into the API's JSON body, nesting dotted names.
// Inputs it cannot read (a time, a number) are reasons by field name.
func formBody(specs []fieldSpec, vals url.Values, loc *time.Location) (map[string]any, map[string]string) {
	body := map[string]any{}
	errs := map[string]string{}
	put := func(name string, v any) {
		parts := strings.Split(name, ".")
		m := body
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = v
	}
	for _, s := range specs {
		v := strings.TrimSpace(vals.Get(s.Name))
		if s.Kind == "area" || s.Kind == "text" {
			v = vals.Get(s.Name) // customer text exactly as entered
		}
		if strings.TrimSpace(v) == "" {
			continue
		}
		switch s.Kind {
		case "bool":
			put(s.Name, v == "true")
		case "when":
			t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
			if err != nil {
				errs[s.Name] = "not a date and time (YYYY-MM-DD HH:MM)"
				continue
			}
			put(s.Name, t)
		case "list":
			var items []string
			for _, it := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '，' }) {
				if it = strings.TrimSpace(it); it != "" {
					items = append(items, it)
				}
			}
			put(s.Name, items)
		case "int":
			n, err := strconv.Atoi(v)
			if err != nil {
				errs[s.Name] = "not a whole number"
				continue
			}
			put(s.Name, n)
		case "num":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				errs[s.Name] = "not a number"
				continue
			}
			put(s.Name, n)
		default:
			put(s.Name, v)
		}
	}
	return body, errs
}

var indexSuffix = regexp.MustCompile(`\[\d+\]$`)

// placeErrors puts the API's field reasons next to the inputs; the ones no
// input shows come back as lines for the top of the form.
func placeErrors(specs []fieldSpec, fields map[string]string) (map[string]string, []string) {
	at := map[string]string{}
	var rest []string
	names := map[string]bool{}
	for _, s := range specs {
		names[s.Name] = true
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := indexSuffix.ReplaceAllString(k, "")
		switch {
		case names[name]:
			if at[name] == "" {
				at[name] = fields[k]
			}
		case k == "preferred" && names["preferred.start"]:
			at["preferred.start"] = fields[k]
		default:
			rest = append(rest, k+": "+fields[k])
		}
	}
	return at, rest
}

// nonce is a form's Idempotency-Key (a double submit is one event).
func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- intake (R1.1, R1.3) ----

type intakeData struct {
	// ID is the request's id, drawn with the form: a double click or a
	// resubmit starts one request (R1.3).
	ID     string
	Fields []field
	Errors []string
	// Message is the API's answer in words (400).
	Message string
}

func (c *Console) centreNew(w http.ResponseWriter, r *http.Request, u *user) {
	c.render(w, r, u, http.StatusOK, "centre_new", intakeData{ID: starter.NewRequestID(c.opt.Now()), Fields: fill(intakeFields, nil, nil)})
}

func (c *Console) centreCreate(w http.ResponseWriter, r *http.Request, u *user) {
	_ = r.ParseForm()
	id := strings.TrimSpace(r.PostForm.Get("id"))
	if id == "" {
		id = starter.NewRequestID(c.opt.Now())
	}
	loc := c.opt.Policy(c.opt.Now()).Location()
	body, local := formBody(intakeFields, r.PostForm, loc)
	body["id"] = id
	if len(local) > 0 {
		c.render(w, r, u, http.StatusBadRequest, "centre_new", intakeData{ID: id, Fields: fill(intakeFields, r.PostForm, local),
			Message: c.tr(r, "centre.fix_fields")})
		return
	}
	var v workflows.View
	err := c.api(r.Context(), u.Actor, http.MethodPost, "/v1/requests", body, "", &v)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		at, rest := placeErrors(intakeFields, ae.Fields)
		c.render(w, r, u, http.StatusBadRequest, "centre_new", intakeData{ID: id, Fields: fill(intakeFields, r.PostForm, at),
			Errors: rest, Message: ae.Message})
		return
	}
	if err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	http.Redirect(w, r, "/centre/requests/"+url.PathEscape(v.ID), http.StatusSeeOther)
}

// ---- a request's page ----

// action is an event the user may send now, as a small form.
type action struct {
	Type   sop.EventType
	Rule   sop.Rule
	Fields []field
	// Checklists are the conduct lists confirmed with it (sop.Checklists).
	Checklists []sop.Checklist
	Checked    []string
	// Nonce is its Idempotency-Key: a double submit is one event.
	Nonce  string
	Errors []string
	// Open: drawn unfolded (the form that failed).
	Open bool
}

// IsChecked says whether a checklist item was ticked on the form sent.
func (a action) IsChecked(id string) bool { return slices.Contains(a.Checked, id) }

type requestData struct {
	ID            string
	View          workflows.View
	Row           *store.RequestRow
	Waits         []pendingItem
	Clocks        []pendingItem
	Timeline      []store.TimelineRow
	Notifications []store.Outgoing
	Actions       []action
	// Error is the API's refusal in words (409), or another failure.
	Error  string
	Status int
	// Sent is the event just sent.
	Sent sop.EventType
}

// actionsFor lists the events role may send now: the pending ones it may
// send (sop.EventType.Allows), then a complaint and cancel, always.
func actionsFor(role sop.Role, pending []workflows.Pending) []action {
	var out []action
	seen := map[sop.EventType]bool{}
	add := func(t sop.EventType, rule sop.Rule) {
		if seen[t] || !t.Allows(role) {
			return
		}
		seen[t] = true
		out = append(out, action{Type: t, Rule: rule, Fields: fill(specsOf(t), nil, nil), Checklists: sop.ChecklistsFor(t), Nonce: nonce()})
	}
	for _, p := range pending {
		if p.Event != "" {
			add(p.Event, p.Rule)
		}
	}
	// The first thing it waits for is drawn open: the next step.
	if len(out) > 0 {
		out[0].Open = true
	}
	add(sop.EvComplaint, sop.R11_1)
	add(sop.EvCancel, "")
	return out
}

func (c *Console) requestData(r *http.Request, u *user, id string) (*requestData, error) {
	d := &requestData{ID: id}
	if err := c.api(r.Context(), u.Actor, http.MethodGet, "/v1/requests/"+url.PathEscape(id), nil, "", &d.View); err != nil {
		return nil, err
	}
	if row, err := c.opt.Store.GetRequest(r.Context(), id); err == nil {
		d.Row = &row
	}
	rowOverdue := false
	if rows, err := c.opt.Store.Queue(r.Context(), store.QueueFilter{ID: id, Limit: 1, Now: c.opt.Now()}); err == nil && len(rows) == 1 {
		rowOverdue = rows[0].Overdue
	}
	now := c.opt.Now()
	for _, p := range d.View.Pending {
		pi := pendingItem{Pending: p, Overdue: pendingOverdue(d.View.Pending, p, rowOverdue, now)}
		if p.Event != "" {
			d.Waits = append(d.Waits, pi)
		} else {
			d.Clocks = append(d.Clocks, pi)
		}
	}
	var err error
	if d.Timeline, err = c.opt.Store.Timeline(r.Context(), id); err != nil {
		return nil, err
	}
	var ns struct {
		Notifications []store.Outgoing `json:"notifications"`
	}
	if err := c.api(r.Context(), u.Actor, http.MethodGet, "/v1/requests/"+url.PathEscape(id)+"/notifications", nil, "", &ns); err != nil {
		return nil, err
	}
	d.Notifications = ns.Notifications
	d.Actions = actionsFor(u.Role, d.View.Pending)
	return d, nil
}

func (c *Console) centreRequest(w http.ResponseWriter, r *http.Request, u *user) {
	d, err := c.requestData(r, u, r.PathValue("id"))
	if err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	d.Sent = sop.EventType(r.URL.Query().Get("sent"))
	c.render(w, r, u, http.StatusOK, "centre_request", d)
}

// centreEvent sends one event through the API, keyed by the form's nonce.
// A refusal (409) comes back as the page with the reason at the top and
// the form filled in; 400 puts the reasons next to the fields.
func (c *Console) centreEvent(w http.ResponseWriter, r *http.Request, u *user) {
	id := r.PathValue("id")
	_ = r.ParseForm()
	t := sop.EventType(r.PostForm.Get("type"))
	specs := specsOf(t)
	loc := c.opt.Policy(c.opt.Now()).Location()
	body, local := formBody(specs, r.PostForm, loc)
	body["type"] = string(t)
	if cl := r.PostForm["checklist"]; len(cl) > 0 {
		body["checklist"] = cl
	}
	key := r.PostForm.Get("nonce")
	var failed *APIError
	if len(local) > 0 {
		failed = &APIError{Status: http.StatusBadRequest, Message: c.tr(r, "centre.fix_fields"), Fields: local}
	} else {
		err := c.api(r.Context(), u.Actor, http.MethodPost, "/v1/requests/"+url.PathEscape(id)+"/events", body, key, nil)
		if err == nil {
			http.Redirect(w, r, "/centre/requests/"+url.PathEscape(id)+"?sent="+url.QueryEscape(string(t)), http.StatusSeeOther)
			return
		}
		if !errors.As(err, &failed) {
			c.failAPI(w, r, u, err)
			return
		}
	}
	d, err := c.requestData(r, u, id)
	if err != nil {
		c.failAPI(w, r, u, err)
		return
	}
	d.Error, d.Status = failed.Message, failed.Status
	at, rest := placeErrors(append(slices.Clone(specs), fieldSpec{Name: "checklist"}), failed.Fields)
	a := action{Type: t, Fields: fill(specs, r.PostForm, at), Checklists: sop.ChecklistsFor(t), Checked: r.PostForm["checklist"],
		Nonce: nonce(), Errors: rest, Open: true}
	if msg := at["checklist"]; msg != "" {
		a.Errors = append(a.Errors, "checklist: "+msg)
	}
	// The failed form replaces its fresh one (or comes first when the
	// event is no longer among the valid ones: a stale page).
	replaced := false
	for i := range d.Actions {
		if d.Actions[i].Type == t {
			a.Rule = d.Actions[i].Rule
			d.Actions[i], replaced = a, true
		}
	}
	if !replaced && t.Known() && t.Allows(u.Role) {
		d.Actions = append([]action{a}, d.Actions...)
	}
	c.render(w, r, u, failed.Status, "centre_request", d)
}
