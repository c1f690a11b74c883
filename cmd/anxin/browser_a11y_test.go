package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserA11yMerchantLang: a merchant with a Chinese name is shown with
// lang="zh" on its name (on the merchants list and the merchant's page),
// one with an English name without it, and the navigation marks Merchants
// as the current page.
func TestBrowserA11yMerchantLang(t *testing.T) {
	e := newConsoleEnv(t)
	e.Post("/v1/merchants", `{"items":[{"id":"m_zh","name":"杭州西湖茶叶旗舰店"},{"id":"m_en","name":"Tea House"}]}`)
	e.SignIn(e.OperatorKey)

	e.Step("merchants list", chromedp.Navigate(e.Base+"/console/merchants"), chromedp.WaitVisible(chromedp.CSS(`tr[data-merchant="m_zh"]`)))
	if n := e.Count(`tr[data-merchant="m_zh"] td[lang="zh"]`); n != 1 {
		t.Errorf("%d cells with lang=zh in the Chinese merchant's row; want 1 (the name)", n)
	}
	if n := e.Count(`tr[data-merchant="m_en"] [lang]`); n != 0 {
		t.Errorf("%d elements with a lang in the English merchant's row; want 0", n)
	}

	e.Step("merchant page", chromedp.Navigate(e.Base+"/console/merchants/m_zh"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := e.Text(`h1 #merchant-name[lang="zh"]`); got != "杭州西湖茶叶旗舰店" {
		t.Errorf("name with lang=zh = %q; want the merchant's name", got)
	}
	lang, err := chromedp.Run(e.B, chromedp.Evaluate[string](`document.querySelector('#merchant-name').closest('[lang]').lang + '/' + document.documentElement.lang`))
	if err != nil {
		t.Fatal(err)
	}
	if lang != "zh/en" {
		t.Errorf("name's language / page's language = %q; want zh/en", lang)
	}
	if got := e.Text(`#nav a[aria-current="page"]`); got != "Merchants" {
		t.Errorf("current navigation link = %q; want Merchants", got)
	}
}
