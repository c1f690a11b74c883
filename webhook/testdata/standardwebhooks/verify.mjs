// Reads {"secret","headers","body"} as JSON on stdin and verifies the
// delivery with the Standard Webhooks library; prints "verified" and exits
// 0, or prints the library's error and exits 1. ANXIN_FAKE_NOW (unix
// seconds) moves the clock the library's timestamp tolerance uses, so a
// delivery signed under a test clock can be checked as it was sent.
import { Webhook } from "standardwebhooks";

if (process.env.ANXIN_FAKE_NOW) {
  const fake = Number(process.env.ANXIN_FAKE_NOW) * 1000;
  Date.now = () => fake;
}
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { secret, headers, body } = JSON.parse(input);
try {
  new Webhook(secret).verify(body, headers);
  console.log("verified");
} catch (e) {
  console.log(String(e && e.message ? e.message : e));
  process.exit(1);
}
