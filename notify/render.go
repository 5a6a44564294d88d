package notify

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

// ServiceNumber is the company's service line printed on customer texts
// (R4.2 confirmation, R4.5/R6.3 note, R8.4 service card). Render reads it at
// each call; a Renderer made with WithServiceNumber uses its own.
var ServiceNumber = "400-900-6916"

// Renderer turns outbox rows into texts.
type Renderer struct {
	serviceNumber string
}

// Option configures a Renderer.
type Option func(*Renderer)

// WithServiceNumber sets the service line printed on customer texts.
func WithServiceNumber(n string) Option { return func(r *Renderer) { r.serviceNumber = n } }

// NewRenderer returns a Renderer; without options it prints ServiceNumber as
// it is when NewRenderer is called.
func NewRenderer(opts ...Option) *Renderer {
	r := &Renderer{serviceNumber: ServiceNumber}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Render renders o with the package's ServiceNumber; see Renderer.Render.
func Render(o store.Outgoing) (subject, text string) {
	return (&Renderer{serviceNumber: ServiceNumber}).Render(o)
}

// Render returns the subject and text of a notification. Customers get it in
// their language (Lang "en" → English, anything else → Chinese) with the
// service number; staff (engineer, centre, manager, hq, warehouse) get the
// Chinese text followed by the English one. A message without a text of its
// own is rendered from its parameters. Render never fails.
func (r *Renderer) Render(o store.Outgoing) (subject, text string) {
	d := data{P: o.Params, Req: o.RequestID, Svc: r.serviceNumber}
	if d.P == nil {
		d.P = map[string]string{}
	}
	if d.Req == "" {
		d.Req = d.P["request"]
	}
	t, ok := texts[sop.Message(o.Message)]
	var zh, en string
	if ok {
		var errZH, errEN error
		zh, errZH = t.zh.exec(d)
		en, errEN = t.en.exec(d)
		ok = errZH == nil && errEN == nil
	}
	if !ok {
		t = genericText(o.Message)
		zh, en = generic(d, "通知", o.Message), generic(d, "Notification", o.Message)
	}
	urgentZH, urgentEN := "", ""
	if o.Urgent {
		urgentZH, urgentEN = "【紧急】", "[URGENT] "
	}
	if sop.Audience(o.Audience) == sop.ToCustomer {
		if english(o.Lang) {
			subject = fmt.Sprintf("%s%s (request %s)", urgentEN, t.subjectEN, d.Req)
			text = withServiceNumber(en, d.Svc, "Questions? Call our service line %s.")
		} else {
			subject = fmt.Sprintf("%s%s（单号 %s）", urgentZH, t.subjectZH, d.Req)
			text = withServiceNumber(zh, d.Svc, "如有疑问，请致电服务热线 %s。")
		}
		return subject, text
	}
	rule := ""
	if o.Rule != "" {
		rule = " [" + o.Rule + "]"
	}
	subject = fmt.Sprintf("%s%s / %s%s · %s%s", urgentZH, t.subjectZH, urgentEN, t.subjectEN, d.Req, rule)
	return subject, zh + "\n" + en
}

func english(lang string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(lang)), "en")
}

// withServiceNumber makes sure a customer text gives the service number.
func withServiceNumber(text, number, footer string) string {
	if number == "" || strings.Contains(text, number) {
		return text
	}
	return text + "\n" + fmt.Sprintf(footer, number)
}

// data is what a text template sees.
type data struct {
	P   map[string]string // the notification's params
	Req string            // request id
	Svc string            // service number
}

type tmpl struct{ t *template.Template }

func (t tmpl) exec(d data) (string, error) {
	var b bytes.Buffer
	if err := t.t.Execute(&b, d); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

type text struct {
	subjectZH, subjectEN string
	zh, en               tmpl
}

var funcs = template.FuncMap{
	// span writes an appointment window "2026-03-02 09:00–11:00" from the
	// workflow's "2006-01-02 15:04" times.
	"span": func(start, end string) string {
		switch {
		case start == "":
			return end
		case end == "":
			return start
		case len(start) == 16 && len(end) == 16 && start[:10] == end[:10]:
			return start + "–" + end[11:]
		}
		return start + " – " + end
	},
	// zh translates the English values the workflow puts in params.
	"zh": func(s string) string {
		if t, ok := zhValues[s]; ok {
			return t
		}
		return s
	},
	// first returns the first non-empty param of names.
	"first": func(p map[string]string, names ...string) string {
		for _, n := range names {
			if v := p[n]; v != "" {
				return v
			}
		}
		return ""
	},
}

// zhValues are the Chinese for parameter values the workflow writes in English.
var zhValues = map[string]string{
	"out of warranty":              "已过保修期",
	"not a quality fault (misuse)": "非产品质量问题（使用不当）",
	"traffic":                      "交通拥堵",
	"cancelled":                    "服务请求已取消",
	"reassigned":                   "已改派其他工程师",
	"in":                           "保修期内",
	"out":                          "已过保修期",
}

func parse(name, src string) tmpl {
	return tmpl{template.Must(template.New(name).Option("missingkey=zero").Funcs(funcs).Parse(src))}
}

// def is one message's texts before parsing.
type def struct {
	subjectZH, subjectEN, zh, en string
}

// texts are parsed once, at start; a template that does not parse is a bug
// the tests catch.
var texts = func() map[sop.Message]text {
	out := make(map[sop.Message]text, len(defs))
	for m, d := range defs {
		out[m] = text{
			subjectZH: d.subjectZH, subjectEN: d.subjectEN,
			zh: parse(string(m)+".zh", d.zh), en: parse(string(m)+".en", d.en),
		}
	}
	return out
}()

func genericText(message string) text {
	return text{subjectZH: "通知 " + message, subjectEN: "Notification " + message}
}

// generic renders a message without a text of its own from its params.
func generic(d data, title, message string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s)", title, message, d.Req)
	for _, k := range slices.Sorted(maps.Keys(d.P)) {
		if k == "request" {
			continue
		}
		fmt.Fprintf(&b, "\n%s: %s", k, d.P[k])
	}
	return b.String()
}

// defs holds a text per message. Customer texts are addressed to the customer;
// staff texts say what to do, and name the rule where the SOP sets the action.
var defs = map[sop.Message]def{
	// ---- call centre, warehouse, HQ, manager ----
	sop.MsgVerifyData: {"资料待核实", "Data to verify",
		`请求 {{.Req}} 的资料不完整或有误：{{.P.problems}}。请信息员核实；无法核实时由呼叫中心联系客户。核实前不安排上门（R1.2）。`,
		`Request {{.Req}}: data incomplete or implausible: {{.P.problems}}. Verify it; if you cannot, the call centre contacts the customer. No visit before it is verified (R1.2).`},
	sop.MsgVerifyOverdue: {"资料核实超时", "Verification overdue",
		`请求 {{.Req}} 的资料未按时核实（{{.P.problems}}），已升级至呼叫中心：请立即联系客户核实。`,
		`Request {{.Req}}: data not verified in time ({{.P.problems}}); escalated to the centre: call the customer now.`},
	sop.MsgConsultationCallback: {"电话指导回访", "Consultation call-back",
		`请回访客户 {{.P.customer}}（{{.P.phone}}，请求 {{.Req}}）：电话指导后的回访时间已到，问题是否已解决？未解决则安排上门（R2.2）。`,
		`Call back {{.P.customer}} ({{.P.phone}}, request {{.Req}}): the call-back after the phone consultation is due. Is the problem solved? If not, plan a visit (R2.2).`},
	sop.MsgPartsRequisition: {"配件调拨", "Parts requisition",
		`请为请求 {{.Req}} 调拨配件：{{.P.parts}}。配件到位后方可安排上门（R2.3）。`,
		`Requisition parts for request {{.Req}}: {{.P.parts}}. The visit is planned once they are reserved (R2.3).`},
	sop.MsgHQConsultation: {"技术咨询", "Technical consultation",
		`请求 {{.Req}} 需总部技术部支持：型号 {{.P.model}}，问题：{{.P.symptoms}}。{{with .P.due}}请于 {{.}} 前答复。{{end}}`,
		`Request {{.Req}} needs HQ technical support: model {{.P.model}}, problem: {{.P.symptoms}}.{{with .P.due}} Please answer by {{.}}.{{end}}`},
	sop.MsgHQOverdue: {"总部答复超时", "HQ answer overdue",
		`总部技术部未按时答复请求 {{.Req}} 的问题：{{.P.question}}。请售后经理跟进。`,
		`HQ has not answered in time on request {{.Req}}: {{.P.question}}. Please follow it up.`},
	sop.MsgRebook: {"需重新预约", "Rebook",
		`请求 {{.Req}} 需重新预约：{{.P.why}}。请致电客户另约时间。`,
		`Request {{.Req}} needs a new appointment: {{.P.why}}. Call the customer to rebook.`},
	sop.MsgNoteLeft: {"已留言，待重新预约", "Note left, rebook",
		`工程师{{with .P.engineer}} {{.}}{{end}} 联系不上客户，已在门上留下留言条（请求 {{.Req}}{{with .P.address}}，{{.}}{{end}}）。请稍后致电客户{{with .P.phone}}（{{.}}）{{end}}重新预约（R6.3）。`,
		`The engineer{{with .P.engineer}} {{.}}{{end}} could not reach the customer and left a note on the door (request {{.Req}}{{with .P.address}}, {{.}}{{end}}). Call the customer{{with .P.phone}} ({{.}}){{end}} later to rebook (R6.3).`},
	sop.MsgManagerVisit: {"请经理上门", "Manager visit",
		`请售后经理亲自上门（请求 {{.Req}}）：{{.P.why}}。`,
		`The after-sales manager is to visit the customer in person (request {{.Req}}): {{.P.why}}.`},
	sop.MsgCompensation: {"赔偿待决定", "Compensation to decide",
		`客户要求赔偿（请求 {{.Req}}）：金额 {{.P.amount}}，原因：{{.P.reason}}。工程师未作承诺，请中心批准或拒绝（R7.3）。`,
		`The customer asks for compensation (request {{.Req}}): {{.P.amount}}, reason: {{.P.reason}}. The engineer promised nothing; the centre approves or refuses (R7.3).`},
	sop.MsgIncident: {"现场事件", "Incident",
		`工程师{{with .P.engineer}} {{.}}{{end}} 在现场遇到事件（请求 {{.Req}}{{with .P.address}}，{{.}}{{end}}）：{{.P.description}}。工程师不与客户冲突，请中心立即处理（R7.5）。`,
		`Engineer{{with .P.engineer}} {{.}}{{end}} reports an incident (request {{.Req}}{{with .P.address}}, {{.}}{{end}}): {{.P.description}}. No confrontation; the centre handles it now (R7.5).`},
	sop.MsgRevisit: {"安排再次上门", "Re-visit",
		`客户仍不满意（请求 {{.Req}}，已上门 {{.P.visits}} 次）：请安排再次上门，直至客户满意（R8.3）。`,
		`The customer is not satisfied yet (request {{.Req}}, {{.P.visits}} visit(s)): book another visit until they are (R8.3).`},
	sop.MsgFollowupCall: {"维修回访", "Follow-up call",
		`请回访客户 {{.P.customer}}（{{.P.phone}}，请求 {{.Req}}）：维修效果尚不确定，请确认问题是否解决、是否满意；不满意则安排再次上门（R9.1）。`,
		`Call {{.P.customer}} ({{.P.phone}}, request {{.Req}}): the fix was uncertain. Is the problem gone, are they satisfied? If not, book a re-visit (R9.1).`},
	sop.MsgCardOverdue: {"服务卡未交回", "Service card overdue",
		`工程师 {{.P.engineer}} 第 {{.P.visit}} 次上门的服务任务卡未在当天交回（请求 {{.Req}}，R10.1）。`,
		`Engineer {{.P.engineer}} did not return the service task card of visit {{.P.visit}} on the day (request {{.Req}}, R10.1).`},
	sop.MsgFalsification: {"疑似虚假记录", "Suspected falsification",
		`对账发现疑似虚假记录（请求 {{.Req}}{{with .P.visit}}，第 {{.}} 次上门{{end}}{{with .P.engineer}}，工程师 {{.}}{{end}}）{{with first .P "why" "reason" "detail"}}：{{.}}{{end}}。请回访客户核实并更正（R10.2）。`,
		`Reconciliation found a suspected falsification (request {{.Req}}{{with .P.visit}}, visit {{.}}{{end}}{{with .P.engineer}}, engineer {{.}}{{end}}){{with first .P "why" "reason" "detail"}}: {{.}}{{end}}. Call the customer back to put it right (R10.2).`},
	sop.MsgComplaintOverdue: {"投诉答复超时", "Complaint overdue",
		`投诉 #{{.P.n}}（请求 {{.Req}}）未在规定时间内答复，已升级至售后经理：请立即处理（R11.1）。`,
		`Complaint #{{.P.n}} (request {{.Req}}) was not answered in time and is escalated to you: handle it now (R11.1).`},
	sop.MsgGuidanceCallDue: {"技术指导回访", "Guidance call due",
		`请求 {{.Req}} 的技术指导回访到期：请在安装前致电客户{{with .P.customer}} {{.}}{{end}}{{with .P.phone}}（{{.}}）{{end}}，确定工程师到达时间{{with first .P "install" "installation" "start"}}（安装时间 {{.}}）{{end}}（R4.6）。`,
		`Technical guidance call due for request {{.Req}}: call the customer{{with .P.customer}} {{.}}{{end}}{{with .P.phone}} ({{.}}){{end}} before the installation{{with first .P "install" "installation" "start"}} ({{.}}){{end}} to fix the engineer's arrival time (R4.6).`},
	sop.MsgDepartureUnconfirmed: {"出发计划未确认", "Departure not confirmed", // ext: R12.1
		`工单 {{.Req}}：工程师{{with .P.engineer}} {{.}}{{end}}未确认计划出发时间{{with .P.depart}} {{.}}{{end}}{{with .P.start}}（预约 {{.}}）{{end}}：请联系工程师，必要时改派或改约（R12.1）。`,
		`Request {{.Req}}: the engineer{{with .P.engineer}} {{.}}{{end}} did not confirm the planned departure{{with .P.depart}} at {{.}}{{end}}{{with .P.start}} (appointment {{.}}){{end}}: contact the engineer, reassign or rebook if needed (R12.1).`},
	sop.MsgEscalation: {"需中心处理", "Needs a decision",
		`请求 {{.Req}} 需要中心处理：{{.P.what}}。`,
		`Request {{.Req}} needs the centre's decision: {{.P.what}}.`},
	sop.MsgCallbackOverdue: {"回访超时", "Call-back overdue",
		`请求 {{.Req}} 的回访未按时完成（{{.P.what}}）：请立即致电客户 {{.P.customer}}（{{.P.phone}}）{{with .P.after}}；中心 {{.}} 内仍未处理，已升级至售后经理{{end}}（R2.2、R9.1、R10.2）。`,
		`Request {{.Req}}: the {{.P.what}} was not made in time: call {{.P.customer}} ({{.P.phone}}) now{{with .P.after}}; still not made {{.}} after the centre was told, so it is escalated to you{{end}} (R2.2, R9.1, R10.2).`},
	sop.MsgConfirmSatisfaction: {"请客户确认满意度", "Confirm satisfaction",
		`请致电客户 {{.P.customer}}（{{.P.phone}}，请求 {{.Req}}）：第 {{.P.visit}} 次上门（工程师 {{.P.engineer}}）的服务卡客户未签名，请客户本人确认是否满意（R10.2）。`,
		`Call {{.P.customer}} ({{.P.phone}}, request {{.Req}}): the card of visit {{.P.visit}} (engineer {{.P.engineer}}) was not signed by the customer; ask the customer to confirm whether they are satisfied (R10.2).`},
	sop.MsgSuggestion: {"客户建议", "Customer suggestion",
		`客户对型号 {{.P.model}} 的建议（请求 {{.Req}}）：{{.P.text}}。请生产及技术部门评估并答复（R12.9）。`,
		`A customer's suggestion on model {{.P.model}} (request {{.Req}}): {{.P.text}}. Production and technical departments: assess it and respond (R12.9).`},
	sop.MsgWorkshopReturn: {"送修待返还", "Unit in the workshop",
		`请求 {{.Req}} 的产品已送维修车间，周转机已留给客户：修好后请预约返还上门（R2.5）。`,
		`The unit of request {{.Req}} is in the workshop and the customer has a loaner: book the return visit when it is repaired (R2.5).`},

	// ---- engineer ----
	sop.MsgNewJob: {"新工单", "New job",
		`新工单 {{.Req}}：{{span .P.start .P.end}}，客户 {{.P.customer}}（{{.P.phone}}），地址 {{.P.address}}，型号 {{.P.model}}，故障：{{.P.symptoms}}。{{with .P.warranty}}{{zh .}}。{{end}}{{if .P.receipt}}收费服务，请带收据和收费标准。{{end}}{{if .P.loaner}}请带周转机。{{end}}`,
		`New job {{.Req}}: {{span .P.start .P.end}}, customer {{.P.customer}} ({{.P.phone}}), {{.P.address}}, model {{.P.model}}, symptoms: {{.P.symptoms}}.{{with .P.warranty}} Warranty: {{.}}.{{end}}{{if .P.receipt}} Charged: bring a receipt and the fee standard.{{end}}{{if .P.loaner}} Bring a loaner unit.{{end}}`},
	sop.MsgJobWithdrawn: {"工单撤回", "Job withdrawn",
		`工单 {{.Req}} 已撤回（{{zh .P.reason}}），请勿上门。`,
		`Job {{.Req}} is withdrawn ({{.P.reason}}): do not go.`},
	sop.MsgCallAgain: {"请再次致电客户", "Call the customer again",
		`工单 {{.Req}}：客户 {{.P.customer}}（{{.P.phone}}）电话未接通：请稍后再拨；如会因此迟到，请按计划前往 {{.P.address}}，并向中心报告（R4.3）。`,
		`Job {{.Req}}: {{.P.customer}} ({{.P.phone}}) did not answer: call again later; if that would make you late, go to {{.P.address}} as planned and report to the centre (R4.3).`},
	sop.MsgConfirmDeparture: {"请确认出发时间", "Confirm your departure", // ext: R12.1
		`工单 {{.Req}}：请确认计划出发时间 {{.P.depart}}（预约 {{span .P.start .P.end}}，地址 {{.P.address}}，路程 {{.P.travel}}）；未确认将报告中心（R12.1）。`,
		`Job {{.Req}}: confirm your planned departure at {{.P.depart}} (appointment {{span .P.start .P.end}}, {{.P.address}}, travel {{.P.travel}}); a plan not confirmed is reported to the centre (R12.1).`},
	sop.MsgDepartNow: {"请出发", "Leave now",
		`工单 {{.Req}}：请现在出发前往 {{.P.address}}（客户 {{.P.customer}}，预约 {{span .P.start .P.end}}）。出发前自检：工具、配件{{if .P.loaner}}及周转机{{end}}、备用鞋套、留言条、工作证、服务记录单、收据及收费标准、抹布（R5.1、R5.2）。`,
		`Job {{.Req}}: leave now for {{.P.address}} ({{.P.customer}}, appointment {{span .P.start .P.end}}). Toolkit check: tools, parts{{if .P.loaner}} and loaner unit{{end}}, spare shoe covers, note slips, ID badge, service record sheet, receipt and fee standard, floor cloth (R5.1, R5.2).`},
	sop.MsgLateCall: {"即将迟到", "Running late",
		`工单 {{.Req}}：您尚未到达，预约时间 {{.P.start}} 即将到来：请立即致电客户 {{.P.customer}}（{{.P.phone}}）致歉并告知到达时间（R6.5）。`,
		`Job {{.Req}}: you are not at the door and the appointment at {{.P.start}} is close: call {{.P.customer}} ({{.P.phone}}) now, apologise and give your arrival time (R6.5).`},
	sop.MsgKnockAgain: {"请再次敲门", "Knock again",
		`工单 {{.Req}}：无人应答，请再次按门铃、敲门（第 {{.P.n}} 次提醒，R6.3）。`,
		`Job {{.Req}}: no answer, ring and knock again (prompt {{.P.n}}, R6.3).`},
	sop.MsgCallCustomer: {"请致电客户", "Phone the customer",
		`工单 {{.Req}}：敲门无人应答，请致电客户 {{.P.customer}}（{{.P.phone}}）；仍联系不上时请询问邻居、到楼下查看（R6.3）。`,
		`Job {{.Req}}: nobody answers the door; phone {{.P.customer}} ({{.P.phone}}); if unreachable, ask the neighbours and look downstairs (R6.3).`},
	sop.MsgLeaveNote: {"请留言", "Leave a note",
		`仍联系不上客户：请在门上留下留言条，写明服务电话 {{.Svc}} 和单号 {{.Req}}，并通知中心；中心将稍后致电客户重新预约（R6.3）。`,
		`The customer cannot be reached: leave a note on the door with the service number {{.Svc}} and request {{.Req}}, and tell the centre, which calls the customer later to rebook (R6.3).`},

	// ---- customer ----
	sop.MsgFeeStandard: {"收费说明", "Service charges",
		`尊敬的客户：您的服务请求（单号 {{.Req}}）：{{zh .P.reason}}。我们仍将上门服务，按实际发生的配件费和人工费收费，收费标准请见工程师出示的价目表，工程师将开具收据。`,
		`Dear customer, your service request {{.Req}}: {{.P.reason}}. We will still come, charging the actual cost of parts and labour according to our fee standard; the engineer will give you a receipt.`},
	sop.MsgAppointmentProposal: {"预约时间建议", "Proposed appointment",
		`尊敬的客户：很抱歉，您希望的时间{{with .P.requested}}（{{.}}）{{end}}无法安排工程师上门。我们建议改为 {{span .P.start .P.end}}，请回复或致电服务热线 {{.Svc}} 确认（单号 {{.Req}}）。`,
		`Dear customer, we are sorry: no engineer can come at the time you asked for{{with .P.requested}} ({{.}}){{end}}. We propose {{span .P.start .P.end}} instead; please reply or call our service line {{.Svc}} to confirm (request {{.Req}}).`},
	sop.MsgAppointmentConfirm: {"上门服务预约确认", "Appointment confirmed",
		`尊敬的客户：您的上门服务已预约（单号 {{.Req}}）。
时间：{{span .P.start .P.end}}
地址：{{.P.address}}
产品型号：{{.P.model}}
购买日期：{{.P.purchase_date}}
故障描述：{{.P.symptoms}}
如以上信息有误，请致电服务热线 {{.Svc}}，我们将按核实后的信息上门。`,
		`Dear customer, your service visit is booked (request {{.Req}}).
Time: {{span .P.start .P.end}}
Address: {{.P.address}}
Model: {{.P.model}}
Purchase date: {{.P.purchase_date}}
Symptoms: {{.P.symptoms}}
If anything is wrong, please call our service line {{.Svc}}; the visit follows the corrected details.`},
	sop.MsgDelayApology: {"工程师晚到致歉", "Your engineer is delayed",
		`尊敬的客户：非常抱歉，工程师因{{zh .P.reason}}预计晚到约 {{.P.minutes}} 分钟。如您不便等候，可致电服务热线 {{.Svc}} 改约时间（单号 {{.Req}}）。`,
		`Dear customer, we are sorry: your engineer is delayed by about {{.P.minutes}} minutes ({{.P.reason}}). If you cannot wait, call our service line {{.Svc}} to choose another time (request {{.Req}}).`},
	sop.MsgAtYourDoor: {"工程师已到门口", "Your engineer is at your door",
		`尊敬的客户：我们的工程师{{with .P.engineer}}（工号 {{.}}）{{end}}已按预约到达您家门口，但无人应答。请尽快致电服务热线 {{.Svc}}，我们将为您服务或重新预约（单号 {{.Req}}）。`,
		`Dear customer, our engineer{{with .P.engineer}} (ID {{.}}){{end}} is at your door as agreed, but nobody answers. Please call our service line {{.Svc}} so that we can serve you or book another time (request {{.Req}}).`},
	sop.MsgCompensationResult: {"赔偿申请结果", "Your compensation request",
		`{{if eq .P.approved "true"}}尊敬的客户：您的赔偿申请（单号 {{.Req}}）已获批准，金额 {{.P.amount}} 元。{{else}}尊敬的客户：很抱歉，经审核，您的赔偿申请（单号 {{.Req}}）未获批准。{{end}}`,
		`{{if eq .P.approved "true"}}Dear customer, your compensation request (request {{.Req}}) is approved: {{.P.amount}} CNY.{{else}}Dear customer, we are sorry: after review, your compensation request (request {{.Req}}) is not approved.{{end}}`},
	sop.MsgHQAnswer: {"技术问题答复", "Answer to your question",
		`尊敬的客户：关于服务中发现的问题（单号 {{.Req}}），我们技术部的答复：{{.P.answer}}`,
		`Dear customer, about the problem found during the service (request {{.Req}}), our technical department answers: {{.P.answer}}`},
	sop.MsgThankYou: {"感谢您的信任", "Thank you",
		`尊敬的客户：感谢您使用我们的上门服务（单号 {{.Req}}）。服务卡已留给您，今后如有任何问题，请致电服务热线 {{.Svc}}。`,
		`Dear customer, thank you for using our on-site service (request {{.Req}}). We left you our service card; for any question later, call our service line {{.Svc}}.`},
	sop.MsgComplaintReceived: {"投诉已受理", "Complaint received",
		`尊敬的客户：您的意见已收到（单号 {{.Req}}），我们将在 {{.P.due}} 前给您答复。`,
		`Dear customer, we have received your complaint (request {{.Req}}) and will answer you by {{.P.due}}.`},
	sop.MsgCancelled: {"服务已取消", "Service cancelled",
		`服务请求 {{.Req}} 已取消{{with .P.reason}}：{{zh .}}{{end}}。`,
		`Service request {{.Req}} is cancelled{{with .P.reason}}: {{.}}{{end}}.`},
	sop.MsgReturnDecision: {"退换货申请结果", "Your return request",
		`尊敬的客户：关于您的退换货申请（单号 {{.Req}}）：{{if eq .P.approved "true"}}已同意办理{{else if eq .P.approved "false"}}很抱歉，未能同意{{else}}{{first .P "decision" "result"}}{{end}}{{with .P.reason}}（{{.}}）{{end}}。`,
		`Dear customer, about your return or exchange request (request {{.Req}}): {{if eq .P.approved "true"}}accepted{{else if eq .P.approved "false"}}we are sorry, it cannot be accepted{{else}}{{first .P "decision" "result"}}{{end}}{{with .P.reason}} ({{.}}){{end}}.`},
	sop.MsgCalledAway: {"工程师临时离开", "Your engineer was called away",
		`尊敬的客户：非常抱歉，工程师{{with .P.engineer}}（工号 {{.}}）{{end}}因紧急任务需离开，服务中心将尽快为您改派工程师或重新预约（单号 {{.Req}}，服务热线 {{.Svc}}）。`,
		`Dear customer, we are sorry: your engineer{{with .P.engineer}} (ID {{.}}){{end}} was called to an urgent job and has to leave. Our service centre will send another engineer or book a new time with you shortly (request {{.Req}}, service line {{.Svc}}).`},
}
