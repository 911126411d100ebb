// Progressive enhancement only: every page works without JavaScript. Loaded as a module, so
// browsers too old for GOV.UK Frontend's JavaScript skip it, as GOV.UK's own template intends.
// (GOV.UK's template does this in an inline script, which our Content-Security-Policy forbids.)
import { initAll } from "../vendor/govuk-frontend-6.6.0.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
