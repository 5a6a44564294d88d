package console_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/housecall/housecall/console/browsertest"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
)

// jsClick clicks an element from the page's side (a radio chip, a
// checkbox), whatever sits over it.
func jsClick(b *browsertest.Browser, css string) {
	b.T.Helper()
	if !browsertest.Eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, css)) {
		b.T.Fatalf("no %s to click", css)
	}
}

// shot is a screenshot of the whole page: the bar that sticks to the
// screen's bottom takes its place in the page.
func shot(b *browsertest.Browser, name string) {
	b.T.Helper()
	browsertest.Eval[bool](b, `(document.body.classList.add("eng-whole"), true)`)
	b.Screenshot(name)
	browsertest.Eval[bool](b, `!document.body.classList.remove("eng-whole")`)
}

// typeInto types into an empty field (a textarea has no text node for
// Fill to clear).
func typeInto(b *browsertest.Browser, css, text string) {
	b.T.Helper()
	b.Do("type into "+css, chromedp.WaitVisible(chromedp.CSS(css)), chromedp.SendKeys(chromedp.CSS(css), text))
}

// tickAll ticks every checklist item of the form on screen.
func tickAll(b *browsertest.Browser, form string) {
	b.T.Helper()
	browsertest.Eval[int](b, fmt.Sprintf(`(() => { let n = 0; document.querySelectorAll(%q).forEach((c) => { if (!c.checked) { c.click(); n++; } }); return n; })()`, form+` input[name="checklist"]`))
}

// drawSignature drags the mouse across the signature canvas (real input
// events: Chromium turns them into pointer events).
func drawSignature(b *browsertest.Browser) {
	b.T.Helper()
	r := browsertest.Eval[[]float64](b, `(() => { const c = document.querySelector("#signature-pad canvas"); c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	x0, y0, w, h := r[0], r[1], r[2], r[3]
	b.Do("draw a signature", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		mouse := func(typ input.DispatchMouseEventType, x, y float64, buttons int64) error {
			p := input.DispatchMouseEventParams{Type: typ, X: x, Y: y, Buttons: buttons}
			if typ != input.DispatchMouseEventTypeMouseMoved {
				p.Button, p.ClickCount = input.MouseButtonLeft, 1
			}
			_, err := cdp.Call(ctx, t, input.DispatchMouseEvent, p)
			return err
		}
		// Two strokes: a wave and a cross stroke.
		for s, stroke := range [][2]float64{{0.15, 0.6}, {0.3, 0.3}} {
			x, y := x0+w*stroke[0], y0+h*stroke[1]
			if err := mouse(input.DispatchMouseEventTypeMousePressed, x, y, 1); err != nil {
				return err
			}
			for i := 1; i <= 24; i++ {
				dx := w * 0.6 * float64(i) / 24
				dy := h * 0.25 * math.Sin(float64(i)/2)
				if s == 1 {
					dy = h * 0.3 * float64(i) / 24
				}
				if err := mouse(input.DispatchMouseEventTypeMouseMoved, x+dx, y+dy, 1); err != nil {
					return err
				}
			}
			if err := mouse(input.DispatchMouseEventTypeMouseReleased, x+w*0.6, y, 0); err != nil {
				return err
			}
		}
		return nil
	}))
}

// The engineer on a 390×844 phone runs the visit with short SOP
// durations: sees today's job, departs, arrives, knocks unanswered, sees
// the knock countdown and then — without reloading, as the workflow's
// timers fire — the call prompt; the door opens, the diagnosis, the work
// explained, the completion with a signature drawn on the screen, the card
// returned. The signature is in PostgreSQL with the service record.
func TestEngineerBrowserVisit(t *testing.T) {
	p := sop.DefaultPolicy()
	p.KnockInterval = sop.D(3 * time.Second)
	p.CallAfter = sop.D(9 * time.Second)
	p.DoorEarly = sop.D(48 * time.Hour)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E1"}, Quiet: true})
	env.AddEngineer("E1", "east", 0)
	slot := engSlot()
	const id = "SR-ENG-BROWSER"
	engScheduled(t, env, id, "李雷 Li Lei", slot)
	day := slot.In(p.Location()).Format("2006-01-02")

	b := browsertest.New(t, env.API.URL, browsertest.PhoneWidth, browsertest.PhoneHeight)
	b.SignIn(env.Token("engineer:E1"))
	if loc := b.Location(); !strings.HasSuffix(loc, "/engineer") {
		t.Fatalf("signed in to %s", loc)
	}
	b.Go("/engineer?day=" + day)
	row := `#jobs li[data-request="` + id + `"]`
	b.WaitVisible(row)
	if txt := b.Text(row); !strings.Contains(txt, slot.In(p.Location()).Format("15:04")) || !strings.Contains(txt, "李雷") || !strings.Contains(txt, "WM-7") {
		t.Fatalf("the day's job says %q", txt)
	}
	if href := browsertest.Eval[string](b, `document.querySelector('`+row+` a[href^="tel:"]').getAttribute("href")`); href != "tel:13800138000" {
		t.Fatalf("call link %q", href)
	}
	// Phone-sized: nothing wider than the screen, targets of 48 px.
	if w := browsertest.Eval[float64](b, `document.documentElement.scrollWidth`); w > browsertest.PhoneWidth {
		t.Fatalf("the page is %v px wide on a %d px phone", w, browsertest.PhoneWidth)
	}
	if h := browsertest.Eval[float64](b, `document.querySelector("#primary button[type=submit]").getBoundingClientRect().height`); h < 48 {
		t.Fatalf("the next step's button is %v px high", h)
	}

	// The one next step, in the job in hand: confirm the departure, then depart.
	b.WaitText("#primary", "Confirm departure")
	b.ClickAndLoad("#do-departure_confirmed")
	b.WaitVisible("#sent")
	b.WaitVisible(`#primary[data-event="departed"]`)
	jsClick(b, `#primary input[value="tools"]`)
	tickAll(b, "#primary")
	b.ClickAndLoad("#do-departed")
	b.WaitVisible(`#primary[data-event="arrived"]`)
	tickAll(b, "#primary")
	b.ClickAndLoad("#do-arrived")
	b.WaitVisible(`#primary[data-event="knocked"]`)
	b.WaitVisible("#knock-first")

	// Nobody answers: the door protocol, live.
	b.ClickAndLoad("#do-knocked-no")
	b.WaitVisible("#next-knock .countdown")
	browsertest.Eval[bool](b, `(window.stayedOnPage = true)`)
	// What the engineer ticks meanwhile survives the live updates.
	jsClick(b, `#primary input[value="covers_on"]`)
	// It counts down in seconds ("00:02"), ticking in the page.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		cd := browsertest.Eval[string](b, `(document.querySelector("#next-knock .countdown") || {}).textContent || ""`)
		if len(cd) == 5 && strings.HasPrefix(cd, "00:0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("next knock in %q", cd)
		}
	}
	b.WaitVisible("#call-at .countdown")
	shot(b, "engineer")
	// A knock prompt fired by the workflow moves the countdown on to the
	// next knock, without a reload …
	dueOf := `(document.querySelector("#next-knock .countdown") || {dataset: {}}).dataset.due || ""`
	first := browsertest.Eval[string](b, dueOf)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if due := browsertest.Eval[string](b, dueOf); due != "" && due != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the next knock stayed at %s", first)
		}
	}
	// … and when the call clock falls due: phone the customer now.
	b.WaitVisible("#call-now")
	if !browsertest.Eval[bool](b, `window.stayedOnPage === true`) {
		t.Fatal("the page was reloaded to show the call prompt")
	}
	if !browsertest.Eval[bool](b, `document.querySelector('form[data-event="knocked"] input[value="covers_on"]').checked`) {
		t.Fatal("the live update lost the ticked item")
	}
	if href := browsertest.Eval[string](b, `document.querySelector("#call-customer").getAttribute("href")`); href != "tel:13800138000" {
		t.Fatalf("call button %q", href)
	}
	b.WaitVisible(`#primary[data-event="call_result"]`)
	b.ClickAndLoad("#do-call_result-yes")

	// The customer comes to the door.
	b.WaitVisible(`#primary[data-event="knocked"]`)
	tickAll(b, "#primary")
	b.ClickAndLoad("#do-knocked-yes")
	b.WaitVisible(`#primary[data-event="diagnosed"]`)
	typeInto(b, "#diagnosed-cause", "worn drive belt")
	jsClick(b, `#primary fieldset[data-field="onsite"] input[value="true"]`)
	b.ClickAndLoad("#do-diagnosed")
	b.WaitVisible(`#primary[data-event="work_explained"]`)
	jsClick(b, `#primary fieldset[data-field="accepted"] input[value="true"]`)
	b.Fill("#work_explained-minutes", "30")
	b.Fill("#work_explained-fee", "0")
	b.ClickAndLoad("#do-work_explained")

	// The completion form, with the customer's signature drawn.
	b.WaitVisible(`#primary[data-event="completed"]`)
	jsClick(b, `#primary fieldset[data-field="quality_rating"] input[value="5"]`)
	jsClick(b, `#primary fieldset[data-field="attitude_rating"] input[value="4"]`)
	for _, f := range []string{"satisfied", "fix_certain", "signed_by_customer"} {
		jsClick(b, `#primary fieldset[data-field="`+f+`"] input[value="true"]`)
	}
	typeInto(b, `#completed-record\.cause`, "worn drive belt")
	typeInto(b, `#completed-record\.measures`, "belt replaced, drum tested")
	typeInto(b, `#completed-record\.parts_used`, "belt WM-7-B")
	tickAll(b, "#primary")
	drawSignature(b)
	sig := browsertest.Eval[string](b, `document.querySelector('#primary input[name="signature"]').value`)
	if !strings.HasPrefix(sig, sop.SignaturePrefix) {
		t.Fatalf("the drawing did not reach the form: %.40q", sig)
	}
	shot(b, "engineer-complete")
	b.ClickAndLoad("#do-completed")
	b.WaitVisible(`#primary[data-event="card_returned"]`)

	// The signature is stored with the service record, as drawn.
	raw, err := env.Store.Signature(t.Context(), id, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	inked := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a > 0 {
				inked++
			}
		}
	}
	if inked < 200 {
		t.Fatalf("the stored signature has %d inked pixels", inked)
	}
	var signed bool
	var cause string
	if err := env.Store.Pool.QueryRow(t.Context(), `SELECT signed, cause FROM service_records WHERE request_id = $1 AND visit = 1`, id).Scan(&signed, &cause); err != nil || !signed || cause != "worn drive belt" {
		t.Fatalf("service record: signed %t, cause %q (%v)", signed, cause, err)
	}

	b.ClickAndLoad("#do-card_returned")
	b.WaitVisible("#sent")
	if st := env.State(id)["status"]; st != "followup" && st != "closed" {
		t.Fatalf("after the visit the request is %v", st)
	}
	kinds := env.Kinds(id)
	for _, k := range []string{"knock_prompt", "call_customer", "door_answered", "diagnosed", "completed", "card_returned"} {
		if !slices.Contains(kinds, k) {
			t.Fatalf("timeline lacks %s: %v", k, kinds)
		}
	}
}
