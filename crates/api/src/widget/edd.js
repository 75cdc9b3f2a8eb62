/* Shipgate delivery-date widget. Plain JS, no dependencies.
 * <script src="https://shipgate.example/widget/edd.js" data-key="sg_pub_…"
 *         data-origin="110020" async></script>
 * Optional: data-target="element-id" (where to render; default: after the tag),
 * data-country (default IN). Style with CSS variables on any ancestor:
 * --sg-font, --sg-text, --sg-accent, --sg-muted, --sg-ok, --sg-error,
 * --sg-border, --sg-radius, --sg-bg. */
(function () {
  "use strict";
  var me = document.currentScript ||
    document.querySelector('script[data-key^="sg_pub_"]');
  if (!me) return;
  var key = me.getAttribute("data-key") || "";
  var origin = me.getAttribute("data-origin") || "";
  var country = me.getAttribute("data-country") || "IN";
  var base = new URL(me.src, location.href).origin;
  var TTL = 30 * 60 * 1000, PIN_KEY = "sg_edd_pin";
  var T = {
    en: {
      label: "Check delivery date", ph: "PIN code", go: "Check",
      by: "Delivery by {d}", no: "Not deliverable to this PIN",
      yes: "Delivers to this PIN", cod: "Cash on delivery available",
      bad: "Enter a 6-digit PIN code", loc: "en-GB"
    },
    hi: {
      label: "डिलीवरी की तारीख़ देखें", ph: "पिन कोड", go: "देखें",
      by: "{d} तक डिलीवरी", no: "इस पिन पर डिलीवरी उपलब्ध नहीं",
      yes: "इस पिन पर डिलीवरी होती है", cod: "कैश ऑन डिलीवरी उपलब्ध",
      bad: "6 अंकों का पिन कोड डालें", loc: "hi-IN"
    }
  };
  var lang = (document.documentElement.lang || navigator.language || "en")
    .toLowerCase().slice(0, 2);
  var t = T[lang] || T.en;

  function store(kind) {
    try { return window[kind]; } catch (e) { return null; }
  }
  function get(kind, k) {
    var s = store(kind);
    try { return s ? s.getItem(k) : null; } catch (e) { return null; }
  }
  function put(kind, k, v) {
    var s = store(kind);
    try { if (s) s.setItem(k, v); } catch (e) { /* full or disabled */ }
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function css() {
    if (document.getElementById("sg-edd-css")) return;
    var s = el("style");
    s.id = "sg-edd-css";
    s.textContent =
      ".sg-edd{font:var(--sg-font,inherit);color:var(--sg-text,inherit);" +
      "margin:.5em 0}.sg-edd form{display:flex;gap:.4em;flex-wrap:wrap;" +
      "align-items:center}.sg-edd label{font-weight:600}" +
      ".sg-edd input{width:7em;padding:.35em .5em;font:inherit;" +
      "border:1px solid var(--sg-border,#bbb);border-radius:var(--sg-radius,4px);" +
      "background:var(--sg-bg,#fff)}.sg-edd button{padding:.35em .8em;font:inherit;" +
      "border:0;border-radius:var(--sg-radius,4px);background:var(--sg-accent,#1a56db);" +
      "color:#fff;cursor:pointer}.sg-edd-out{margin-top:.35em}" +
      ".sg-edd-out p{margin:.15em 0}.sg-edd-date{color:var(--sg-ok,#046c4e);" +
      "font-weight:600}.sg-edd-no,.sg-edd-bad{color:var(--sg-error,#b91c1c)}" +
      ".sg-edd-cod{color:var(--sg-muted,#555)}";
    (document.head || document.documentElement).appendChild(s);
  }
  function fmt(iso) {
    var p = iso.split("-");
    var d = new Date(Date.UTC(+p[0], +p[1] - 1, +p[2]));
    try {
      return new Intl.DateTimeFormat(t.loc, {
        weekday: "short", day: "numeric", month: "short", timeZone: "UTC"
      }).format(d);
    } catch (e) { return iso; }
  }
  function call(path) {
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctl) ctl.abort(); }, 4000);
    return fetch(base + path, {
      headers: { Authorization: "Bearer " + key },
      signal: ctl ? ctl.signal : undefined
    }).then(function (r) {
      clearTimeout(timer);
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }
  // What the page shows for a PIN: {date, deliverable, cod}; null = say nothing.
  function answer(edd, svc) {
    var accounts = (svc.carriers || []).filter(function (c) { return c.known; });
    var serving = accounts.filter(function (c) { return c.serviceable; });
    if (accounts.length && !serving.length) return { deliverable: false };
    var carriers = serving.map(function (c) { return c.carrier; });
    var est = (edd.carriers || []).filter(function (e) {
      return !accounts.length || carriers.indexOf(e.carrier) >= 0;
    })[0] || null;
    if (!est && !serving.length) return null;
    return {
      deliverable: true,
      date: est ? est.date : null,
      cod: serving.some(function (c) { return c.cod; })
    };
  }
  function lookup(pin) {
    var ck = "sg_edd:" + key.slice(7, 19) + ":" + origin + ":" + pin;
    var hit = get("sessionStorage", ck);
    if (hit) {
      try {
        var c = JSON.parse(hit);
        if (Date.now() - c.at < TTL) return Promise.resolve(c.a);
      } catch (e) { /* stale format */ }
    }
    var q = "origin=" + encodeURIComponent(origin) +
      "&destination=" + encodeURIComponent(pin) +
      "&country=" + encodeURIComponent(country);
    return Promise.all([
      call("/v1/edd?" + q),
      call("/v1/serviceability?postal_code=" + encodeURIComponent(pin) +
        "&origin=" + encodeURIComponent(origin))
    ]).then(function (r) {
      var a = answer(r[0], r[1]);
      put("sessionStorage", ck, JSON.stringify({ at: Date.now(), a: a }));
      return a;
    });
  }
  function mount() {
    css();
    var box = el("div", "sg-edd");
    box.setAttribute("data-sg-edd", "");
    var form = el("form");
    var id = "sg-edd-pin-" + Math.random().toString(36).slice(2, 8);
    var label = el("label", "", t.label);
    label.htmlFor = id;
    var input = el("input");
    input.id = id;
    input.name = "pin";
    input.inputMode = "numeric";
    input.autocomplete = "postal-code";
    input.maxLength = 6;
    input.placeholder = t.ph;
    var button = el("button", "", t.go);
    button.type = "submit";
    var out = el("div", "sg-edd-out");
    out.setAttribute("aria-live", "polite");
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(button);
    box.appendChild(form);
    box.appendChild(out);
    var target = document.getElementById(me.getAttribute("data-target") || "");
    if (target) target.appendChild(box);
    else me.parentNode.insertBefore(box, me.nextSibling);

    var seq = 0;
    function show(a) {
      out.textContent = "";
      box.removeAttribute("data-state");
      if (!a) return;
      box.setAttribute("data-state", a.deliverable ? "deliverable" : "not-deliverable");
      if (!a.deliverable) return out.appendChild(el("p", "sg-edd-no", t.no));
      var d = el("p", "sg-edd-date", a.date ? t.by.replace("{d}", fmt(a.date)) : t.yes);
      if (a.date) d.setAttribute("data-date", a.date);
      out.appendChild(d);
      if (a.cod) out.appendChild(el("p", "sg-edd-cod", t.cod));
    }
    function check(pin) {
      if (!/^[1-9][0-9]{5}$/.test(pin)) {
        out.textContent = "";
        out.appendChild(el("p", "sg-edd-bad", t.bad));
        return;
      }
      put("localStorage", PIN_KEY, pin);
      var mine = ++seq;
      lookup(pin).then(function (a) {
        if (mine === seq) show(a);
      }, function () {
        // Shipgate unreachable or refusing: say nothing rather than something wrong.
        if (mine === seq) show(null);
      });
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      check(input.value.trim());
    });
    var saved = get("localStorage", PIN_KEY);
    if (saved) {
      input.value = saved;
      check(saved);
    }
  }
  try {
    if (!window.fetch || !key || !origin) return;
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", mount);
    } else {
      mount();
    }
  } catch (e) { /* never break the page */ }
})();
