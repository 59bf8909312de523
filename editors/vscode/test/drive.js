// Drives VS Code (code-server in headless Chromium) through the README's promises for the
// extension: open a policy file of a two-file project, see UP001 found through a function in
// the other file, hover the function, apply the quick fix, and see UP001 go. Run by
// check-in-code-server.sh; exits non-zero with what it saw when a step fails.
const { chromium } = require("playwright-core");

const url = process.argv[2];
const failures = [];
const expect = (what, ok, saw) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(`${what}\n  saw: ${JSON.stringify(saw)}`);
};

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = () => page.evaluate(() =>
    Array.from(document.querySelectorAll(".markers-panel .monaco-list-row")).map((r) => r.innerText.replace(/\n/g, " | ")));
  const until = async (test, ms) => {
    for (let waited = 0; waited < ms; waited += 250) {
      const value = await test();
      if (value) return value;
      await page.waitForTimeout(250);
    }
    return null;
  };

  await page.goto(url);
  await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
  await page.waitForTimeout(3000);
  await page.keyboard.press("Control+P");
  await page.waitForTimeout(800);
  await page.keyboard.type("policies.kql");
  await page.waitForTimeout(800);
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+Shift+M");
  const up001 = (rows) => rows.find((r) => r.includes("UP001") && r.includes("[Ln 2, Col 56]"));
  const before = await until(async () => up001(await problems()) && (await problems()), 30000);
  expect("UP001 is shown on the policy, at line 2, column 56", !!before, await problems());
  expect("its related information points into functions.kql",
    !!before && before.some((r) => r.startsWith("functions.kql | [Ln 3, Col 15]")), before);

  await page.keyboard.press("Control+G");
  await page.keyboard.type("2:60");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  const hover = await until(() => page.evaluate(() => {
    const text = Array.from(document.querySelectorAll(".monaco-hover-content")).map((e) => e.innerText).join("\n");
    return text.includes("function defined at functions.kql:1") ? text : null;
  }), 10000);
  expect("hovering the function call shows where it is defined", !!hover, hover);
  await page.keyboard.press("Escape");

  await page.keyboard.press("Control+.");
  const actions = await until(() => page.evaluate(() => {
    const rows = Array.from(document.querySelectorAll(".action-widget .monaco-list-row")).map((e) => e.innerText);
    return rows.length > 1 ? rows : null;
  }), 10000);
  const fix = (actions || []).findIndex((a) => a.startsWith("Set \"ManagedIdentity\": \"system\""));
  expect("the quick fixes offer to set ManagedIdentity and to copy the fix command",
    fix > 0 && actions.some((a) => a.startsWith("Copy the command")), actions);
  if (fix > 0) {
    // Row 0 is the "Quick Fix" heading and row 1 has the focus.
    for (let row = 1; row < fix; row++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
  }
  const after = await until(async () => {
    const rows = await problems();
    return rows.some((r) => r.includes("UP003")) && !up001(rows) ? rows : null;
  }, 30000);
  const text = await page.evaluate(() =>
    Array.from(document.querySelectorAll(".view-lines .view-line")).map((e) => e.innerText).join("\n").replace(/\u00a0/g, " "));
  expect("the fix is applied to the buffer", text.includes("\"ManagedIdentity\": \"system\""), text);
  expect("the buffer is checked again: UP001 is gone, UP003 (the identity is not allowed) is shown", !!after,
    await problems());

  await browser.close();
  if (failures.length > 0) {
    console.error(`\n${failures.length} step(s) failed:\n${failures.join("\n")}`);
    process.exit(1);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
