package console

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/housecall/housecall/sop"
)

// The console speaks English and Chinese: the language comes from the
// hc_lang cookie (the switch in the header), else Accept-Language.
// Customer-entered text is shown exactly as entered (escaped), never
// translated.

const (
	langEN = "en"
	langZH = "zh"
)

var (
	labelsMu sync.RWMutex
	// labels are key → {English, Chinese}.
	labels = map[string][2]string{}
)

// addLabels adds labels (each page's file adds its own in init).
func addLabels(m map[string][2]string) {
	labelsMu.Lock()
	defer labelsMu.Unlock()
	for k, v := range m {
		labels[k] = v
	}
}

// translate returns the label of key in lang; a missing label shows its
// key (tests catch those: TestEveryLabelHasBothLanguages).
func translate(lang, key string) string {
	labelsMu.RLock()
	l, ok := labels[key]
	labelsMu.RUnlock()
	if !ok {
		return key
	}
	if lang == langZH && l[1] != "" {
		return l[1]
	}
	return l[0]
}

// lang is the request's language.
func lang(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == langEN || ck.Value == langZH) {
		return ck.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return langZH
		case strings.HasPrefix(tag, "en"):
			return langEN
		}
	}
	return langEN
}

func (c *Console) tr(r *http.Request, key string) string { return translate(lang(r), key) }

// setLang switches the language and goes back to the page.
func (c *Console) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("to")
	if l != langEN && l != langZH {
		l = langEN
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", SameSite: http.SameSiteLaxMode,
		Secure: secure(r), MaxAge: 365 * 24 * 3600})
	back := safeNext(r.URL.Query().Get("back"))
	if back == "" {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (c *Console) roleName(r *http.Request, role sop.Role) string {
	return c.tr(r, "role."+string(role))
}

func actorOf(role sop.Role, subject string) sop.Actor { return sop.Actor{Role: role, Subject: subject} }

func init() {
	addLabels(map[string][2]string{
		"app.name":            {"housecall", "housecall 上门服务"},
		"app.tagline":         {"After-sales on-site service", "售后上门服务"},
		"nav.centre":          {"Queue", "服务单"},
		"nav.board":           {"Dispatch board", "派工看板"},
		"nav.engineer":        {"My jobs", "我的任务"},
		"nav.audit":           {"Audit", "稽核"},
		"nav.kpi":             {"KPIs", "指标"},
		"nav.signout":         {"Sign out", "退出"},
		"nav.temporal":        {"Temporal UI", "Temporal 界面"},
		"lang.switch":         {"中文", "English"},
		"role.callcentre":     {"call centre", "呼叫中心"},
		"role.engineer":       {"engineer", "服务工程师"},
		"role.auditor":        {"auditor", "稽核员"},
		"role.admin":          {"administrator", "管理员"},
		"role.customer":       {"customer", "顾客"},
		"role.system":         {"housecall", "系统"},
		"signin.title":        {"Sign in", "登录"},
		"signin.token":        {"API token", "API 令牌"},
		"signin.help":         {"Paste the token you were given once; the console keeps you signed in for a working day.", "粘贴分配给您的令牌；控制台将在一个工作日内保持登录。"},
		"signin.submit":       {"Sign in", "登录"},
		"signin.unknown":      {"This token is not known. Check it, or ask your administrator for one.", "令牌无效。请检查，或向管理员申请。"},
		"err.title":           {"Something went wrong", "出错了"},
		"err.not_found":       {"There is no such page.", "页面不存在。"},
		"err.signed_out":      {"Your session has ended: sign in again.", "会话已结束，请重新登录。"},
		"err.wrong_role":      {"Your role (%s) may not open %s. Sign in with a token of a role that may.", "您的角色（%s）无权打开 %s。请使用有权限的令牌登录。"},
		"err.cross_site":      {"Refused: the form was sent from another site.", "已拒绝：表单来自其他网站。"},
		"err.internal":        {"The console could not do this; the error is in the log. Try again.", "控制台无法完成此操作，错误已记录，请重试。"},
		"err.back":            {"Back to my page", "返回我的页面"},
		"err.signin":          {"Sign in", "登录"},
		"common.save":         {"Save", "保存"},
		"common.send":         {"Send", "提交"},
		"common.yes":          {"Yes", "是"},
		"common.no":           {"No", "否"},
		"common.none":         {"none", "无"},
		"common.overdue":      {"overdue", "已超时"},
		"common.signed_as":    {"Signed in as", "当前用户"},
		"common.live":         {"live", "实时"},
		"common.reconnecting": {"reconnecting…", "重新连接中…"},
	})
}

// Tf formats a label with arguments.
func tf(lang, key string, args ...any) string { return fmt.Sprintf(translate(lang, key), args...) }
