package notify

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

// allMessages is every sop.Message; TestAllMessagesListed keeps it complete.
var allMessages = []sop.Message{
	sop.MsgVerifyData, sop.MsgVerifyOverdue, sop.MsgConsultationCallback, sop.MsgPartsRequisition,
	sop.MsgHQConsultation, sop.MsgHQOverdue, sop.MsgFeeStandard, sop.MsgAppointmentProposal,
	sop.MsgAppointmentConfirm, sop.MsgNewJob, sop.MsgJobWithdrawn, sop.MsgRebook, sop.MsgCallAgain,
	sop.MsgDepartNow, sop.MsgDelayApology, sop.MsgLateCall, sop.MsgKnockAgain, sop.MsgCallCustomer,
	sop.MsgAtYourDoor, sop.MsgLeaveNote, sop.MsgNoteLeft, sop.MsgManagerVisit, sop.MsgCompensation,
	sop.MsgCompensationResult, sop.MsgHQAnswer, sop.MsgIncident, sop.MsgThankYou, sop.MsgRevisit,
	sop.MsgFollowupCall, sop.MsgCardOverdue, sop.MsgFalsification, sop.MsgComplaintReceived,
	sop.MsgComplaintOverdue, sop.MsgCancelled, sop.MsgReturnDecision, sop.MsgGuidanceCallDue,
	sop.MsgEscalation, sop.MsgSuggestion, sop.MsgCallbackOverdue, sop.MsgConfirmSatisfaction,
	sop.MsgConfirmDeparture, sop.MsgDepartureUnconfirmed, // ext: R12.1
	sop.MsgCalledAway, sop.MsgWorkshopReturn, // ext: R7.4, R2.5
}

// fullParams has every parameter a workflow sends, in ASCII so that an
// English text can be checked for Chinese.
var fullParams = map[string]string{
	"request": "SR-42", "start": "2026-03-02 09:00", "end": "2026-03-02 11:00", "requested": "2026-03-01 08:00–09:00",
	"address": "12 Garden Road", "model": "WM-800", "purchase_date": "2025-06-01", "symptoms": "drum does not spin",
	"customer": "Li Lei", "phone": "13800138000", "warranty": "out", "loaner": "yes", "receipt": "yes",
	"problems": "phone invalid", "parts": "belt, pump", "due": "2026-03-03 09:00", "question": "odd noise",
	"answer": "replace the belt", "reason": "traffic", "minutes": "25", "engineer": "E-7", "n": "3",
	"why": "customer not at home", "amount": "100.00", "approved": "true", "description": "threatened",
	"visits": "3", "visit": "2", "what": "customer unreachable", "text": "a softer glaze", "after": "4h", "within": "1h",
}

func outgoing(msg sop.Message, to sop.Audience, lang string, params map[string]string) store.Outgoing {
	return store.Outgoing{ID: 1, RequestID: "SR-42", Seq: 3, Idx: 0, Audience: string(to), Message: string(msg),
		Rule: "R4.2", Lang: lang, Params: params}
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// Every sop.Message constant is in allMessages and has a text of its own.
func TestAllMessagesListed(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../sop/messages.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []sop.Message
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Message" {
				continue
			}
			for _, v := range vs.Values {
				lit := v.(*ast.BasicLit)
				declared = append(declared, sop.Message(strings.Trim(lit.Value, `"`)))
			}
		}
	}
	if len(declared) == 0 {
		t.Fatal("no sop.Message constants found in sop/messages.go")
	}
	for _, m := range declared {
		if !slices.Contains(allMessages, m) {
			t.Errorf("sop.Message %q is not listed in allMessages", m)
		}
	}
	for _, m := range allMessages {
		if !slices.Contains(declared, m) {
			t.Errorf("allMessages lists %q, which sop/messages.go does not declare", m)
		}
		if _, ok := texts[m]; !ok {
			t.Errorf("no text for %q (it would be rendered generically)", m)
		}
	}
}

// Every message renders for a customer in Chinese and English, and for staff
// in both, with or without params, never with template leftovers.
func TestRenderEveryMessage(t *testing.T) {
	for _, m := range allMessages {
		for _, params := range []map[string]string{fullParams, nil} {
			zhSubj, zh := Render(outgoing(m, sop.ToCustomer, "", params))
			zh2Subj, zh2 := Render(outgoing(m, sop.ToCustomer, "zh", params))
			enSubj, en := Render(outgoing(m, sop.ToCustomer, "en", params))
			staffSubj, staff := Render(outgoing(m, sop.ToCentre, "", params))
			for name, s := range map[string]string{"zh": zh, "en": en, "staff": staff, "zh subject": zhSubj, "en subject": enSubj, "staff subject": staffSubj} {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: empty %s", m, name)
				}
				if strings.Contains(s, "<no value>") || strings.Contains(s, "{{") {
					t.Errorf("%s: template leftover in %s: %q", m, name, s)
				}
			}
			if zh != zh2 || zhSubj != zh2Subj {
				t.Errorf("%s: lang \"\" and \"zh\" differ", m)
			}
			if !hasHan(zh) || !hasHan(zhSubj) {
				t.Errorf("%s: Chinese text has no Chinese: %q", m, zh)
			}
			if params != nil && (hasHan(en) || hasHan(enSubj)) {
				t.Errorf("%s: English text has Chinese: %q", m, en)
			}
			for _, s := range []string{zh, en, staff, zhSubj, enSubj, staffSubj} {
				if !strings.Contains(s, "SR-42") {
					t.Errorf("%s: request id missing: %q", m, s)
				}
			}
			if !hasHan(staff) || !strings.Contains(staff, "\n") || !strings.Contains(staffSubj, "/") {
				t.Errorf("%s: staff text is not bilingual: %q", m, staff)
			}
			// Customer texts always give the service number.
			for _, s := range []string{zh, en} {
				if !strings.Contains(s, ServiceNumber) {
					t.Errorf("%s: customer text without the service number %s: %q", m, ServiceNumber, s)
				}
			}
		}
	}
}

// R6.3 note, R8.4 service card, R4.2 confirmation: the texts themselves say
// to call the service number (not only a footer), and the engineer's note
// instruction carries it.
func TestServiceNumberWhereTheSOPSaysSo(t *testing.T) {
	r := NewRenderer(WithServiceNumber("400-123-4567"))
	cases := []struct {
		m  sop.Message
		to sop.Audience
	}{
		{sop.MsgAppointmentConfirm, sop.ToCustomer}, // R4.2
		{sop.MsgThankYou, sop.ToCustomer},           // R8.4
		{sop.MsgAtYourDoor, sop.ToCustomer},         // R6.3
		{sop.MsgLeaveNote, sop.ToEngineer},          // R6.3: the note on the door
	}
	for _, c := range cases {
		for _, lang := range []string{"zh", "en"} {
			_, text := r.Render(outgoing(c.m, c.to, lang, fullParams))
			if !strings.Contains(text, "400-123-4567") {
				t.Errorf("%s %s: no service number: %q", c.m, lang, text)
			}
			if strings.Contains(text, "400-900-6916") {
				t.Errorf("%s %s: default number despite WithServiceNumber: %q", c.m, lang, text)
			}
			want := 1 // customers: once, in their language
			if c.to != sop.ToCustomer {
				want = 2 // staff: once in each language
			}
			if n := strings.Count(text, "400-123-4567"); n != want {
				t.Errorf("%s %s: service number %d times, want %d: %q", c.m, lang, n, want, text)
			}
		}
	}
	old := ServiceNumber
	t.Cleanup(func() { ServiceNumber = old })
	ServiceNumber = "400-000-0000"
	if _, text := Render(outgoing(sop.MsgThankYou, sop.ToCustomer, "", nil)); !strings.Contains(text, "400-000-0000") {
		t.Errorf("Render ignores ServiceNumber: %q", text)
	}
}

// R4.2: the confirmation gives time, address, model, purchase date and symptoms.
func TestAppointmentConfirmation(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		_, text := Render(outgoing(sop.MsgAppointmentConfirm, sop.ToCustomer, lang, fullParams))
		for _, want := range []string{"2026-03-02 09:00–11:00", "12 Garden Road", "WM-800", "2025-06-01", "drum does not spin", "SR-42"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s confirmation lacks %q:\n%s", lang, want, text)
			}
		}
	}
	p := map[string]string{"start": "2026-03-02 23:00", "end": "2026-03-03 01:00"}
	if _, text := Render(outgoing(sop.MsgAppointmentConfirm, sop.ToCustomer, "en", p)); !strings.Contains(text, "2026-03-02 23:00 – 2026-03-03 01:00") {
		t.Errorf("window over midnight: %q", text)
	}
}

func TestRenderUsesParams(t *testing.T) {
	cases := []struct {
		m      sop.Message
		to     sop.Audience
		lang   string
		params map[string]string
		want   []string
		reject []string
	}{
		{sop.MsgDelayApology, sop.ToCustomer, "zh", map[string]string{"minutes": "25", "reason": "traffic"}, []string{"25", "交通拥堵"}, nil},
		{sop.MsgDelayApology, sop.ToCustomer, "en", map[string]string{"minutes": "25", "reason": "traffic"}, []string{"25 minutes", "traffic"}, nil},
		{sop.MsgCompensationResult, sop.ToCustomer, "en", map[string]string{"approved": "true", "amount": "80.00"}, []string{"approved", "80.00"}, []string{"not approved"}},
		{sop.MsgCompensationResult, sop.ToCustomer, "en", map[string]string{"approved": "false", "amount": "80.00"}, []string{"not approved"}, []string{"80.00"}},
		{sop.MsgFeeStandard, sop.ToCustomer, "zh", map[string]string{"reason": "out of warranty"}, []string{"已过保修期", "收据"}, nil},
		{sop.MsgKnockAgain, sop.ToEngineer, "", map[string]string{"n": "7"}, []string{"第 7 次", "prompt 7"}, nil},
		{sop.MsgNewJob, sop.ToEngineer, "", fullParams, []string{"Li Lei", "13800138000", "12 Garden Road", "WM-800", "loaner", "周转机", "receipt"}, nil},
		{sop.MsgNewJob, sop.ToEngineer, "", map[string]string{"customer": "Li Lei"}, []string{"Li Lei"}, []string{"loaner", "receipt"}},
		{sop.MsgEscalation, sop.ToCentre, "", map[string]string{"what": "customer unreachable"}, []string{"customer unreachable"}, nil},
	}
	for _, c := range cases {
		_, text := Render(outgoing(c.m, c.to, c.lang, c.params))
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s/%s: lacks %q:\n%s", c.m, c.lang, w, text)
			}
		}
		for _, r := range c.reject {
			if strings.Contains(text, r) {
				t.Errorf("%s/%s: should not say %q:\n%s", c.m, c.lang, r, text)
			}
		}
	}
}

func TestRenderUnknownMessageFromParams(t *testing.T) {
	o := outgoing("brand_new_message", sop.ToCentre, "", map[string]string{"request": "SR-42", "zeta": "last", "alpha": "first"})
	subject, text := Render(o)
	if !strings.Contains(subject, "brand_new_message") || !strings.Contains(text, "brand_new_message") {
		t.Fatalf("unknown message not named: %q / %q", subject, text)
	}
	if i, j := strings.Index(text, "alpha: first"), strings.Index(text, "zeta: last"); i < 0 || j < 0 || i > j {
		t.Fatalf("params not rendered in order: %q", text)
	}
	o.Audience = string(sop.ToCustomer)
	o.Lang = "en"
	if _, text := Render(o); !strings.Contains(text, "alpha: first") || !strings.Contains(text, ServiceNumber) {
		t.Fatalf("unknown customer message: %q", text)
	}
	// Nothing at all: still a text, never a panic.
	if subject, text := Render(store.Outgoing{}); subject == "" || text == "" {
		t.Fatalf("empty row: %q / %q", subject, text)
	}
}

func TestRenderUrgentSubject(t *testing.T) {
	o := outgoing(sop.MsgIncident, sop.ToManager, "", fullParams)
	o.Urgent = true
	o.Rule = "R7.5"
	subject, _ := Render(o)
	for _, want := range []string{"紧急", "URGENT", "SR-42", "R7.5"} {
		if !strings.Contains(subject, want) {
			t.Errorf("urgent subject lacks %q: %q", want, subject)
		}
	}
	o.Urgent = false
	if subject, _ := Render(o); strings.Contains(subject, "URGENT") {
		t.Errorf("not urgent: %q", subject)
	}
}
