// Package detect finds structured contact and identity data in the text a
// merchant or user wrote, on the original text rather than the normalised
// one, and validates each finding before it reports it:
//
//   - mainland mobile numbers (1[3-9] and nine more digits), landlines with
//     an area code (010-, 0755-, (020)…), 400/800 service numbers;
//   - QQ numbers and WeChat IDs, only after a contact word or one of its
//     usual evasions (微信, 薇信, V信, vx, wx, 加V…; QQ, 扣扣, 企鹅, Q…);
//   - URLs, bare domains and obfuscated domains (xxx点com, xxx。com,
//     "dot com", "www abc com"), and e-mail addresses;
//   - bank card numbers (16-19 digits, Luhn-valid, a card-issuer prefix),
//     marked when an account word (户名, 开户行, 转账到…) is near;
//   - PRC resident ID numbers (18 characters, region, birth date and the
//     GB 11643 check character).
//
// Digits may be ASCII, full-width, Chinese numerals (一二三, 壹贰叁, 幺 for 1)
// or a mix. They are joined only across the separators a number is really
// written with (spaces and dashes between groups), never across other
// punctuation: "30*40*50cm" holds three short numbers and no phone, and
// "13800001111,13900002222" holds two phones. A number is made of whole
// groups: digits inside a longer solid run (an order number) are never cut
// out of it.
//
//	for _, h := range detect.Find("有事打 138-0013-8000 或加薇信：shop_88a") {
//		fmt.Println(h.Kind, h.Quote(text)) // mobile 138-0013-8000; wechat 薇信：shop_88a
//	}
//
// Every Hit carries byte offsets into the text it was given, so its quote is
// exactly what was written and never empty. The package is pure: no I/O, no
// global state beyond read-only tables; Find is safe for concurrent use.
//
// Stuffing (stuffing.go) reads the same original text for the shape of
// keyword-stuffed SEO spam: many short runs joined by separators.
package detect
