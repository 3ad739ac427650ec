// tracemap view: the only script of the pages (served from /static, no
// inline script, no framework). Text from data is only ever set with
// textContent; pictures come from our own server and are parsed as SVG.
"use strict";

function svgFrom(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.nodeName !== "svg") {
    throw new Error("not an SVG picture");
  }
  return document.importNode(root, true);
}

function setPicture(holder, text) {
  holder.replaceChildren(svgFrom(text));
  linkNodes(holder);
}

// Service nodes of a map: the node's <title> starts with the service name
// on its first line; the server looks the name up, it never becomes a path.
function linkNodes(holder) {
  holder.querySelectorAll("g.n").forEach((g) => {
    const t = g.querySelector("title");
    if (!t) return;
    const name = t.textContent.split("\n")[0];
    g.setAttribute("data-service", "");
    g.addEventListener("click", () => {
      window.location.href = "/services/" + encodeURIComponent(name);
    });
  });
}

function setText(id, text, cls) {
  const el = document.getElementById(id);
  if (!el) return;
  el.textContent = text;
  if (cls !== undefined) el.className = cls;
}

// setServices fills the service table from a live update, as text only.
function setServices(rows) {
  const body = document.getElementById("services");
  if (!body) return;
  const trs = rows.map((r) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    const a = document.createElement("a");
    a.href = r.link;
    a.textContent = r.name;
    name.append(a);
    if (r.hot) {
      const hot = document.createElement("span");
      hot.className = "tm-hot";
      hot.textContent = "hot";
      name.append(" ", hot);
    }
    tr.append(name);
    for (const v of [r.spans, r.errors, r.own_errors, r.own_rate, r.p99]) {
      const td = document.createElement("td");
      td.className = "tm-n";
      td.textContent = String(v);
      tr.append(td);
    }
    return tr;
  });
  body.replaceChildren(...trs);
}

function livePage() {
  const holder = document.getElementById("map");
  const slider = document.getElementById("window");
  if (!holder || !slider) return;
  linkNodes(holder);
  // Following: the slider sits on the newest window and live pushes replace
  // the map; a page opened on one window (?window=) stays on it.
  let following = !("pinned" in slider.dataset);
  let windows = [];

  function showWindow(i) {
    const w = windows[i];
    if (!w) return;
    setText("window-label", w.label);
    fetch("/api/map.svg?window=" + encodeURIComponent(w.start))
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.status))))
      .then((text) => setPicture(holder, text))
      .catch((e) => setText("status", "could not load the window: " + e.message, "tm-err"));
  }

  slider.addEventListener("input", () => {
    const i = Number(slider.value);
    following = i === windows.length - 1;
    showWindow(i);
  });
  // Letting go of the slider on a past window opens that window's page
  // (its table and links); on the newest it goes on following.
  slider.addEventListener("change", () => {
    const w = windows[Number(slider.value)];
    if (w && !following) window.location.href = "/?window=" + encodeURIComponent(w.start);
  });

  function connect() {
    const proto = window.location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(proto + window.location.host + "/api/live");
    ws.addEventListener("message", (ev) => {
      const msg = JSON.parse(ev.data);
      windows = msg.windows || [];
      slider.max = String(Math.max(windows.length - 1, 0));
      if (following) {
        slider.value = slider.max;
        if (typeof msg.svg === "string" && msg.svg.length > 0) {
          setPicture(holder, msg.svg);
        }
        setText("window-label", msg.label || "");
        setServices(msg.services || []);
      }
      setText("status", "live · updated " + new Date().toLocaleTimeString(), "tm-live");
      document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || "0") + 1);
    });
    ws.addEventListener("close", () => {
      setText("status", "disconnected · reconnecting", "tm-stale");
      setTimeout(connect, 2000);
    });
  }
  connect();
}

function tracePage() {
  const holder = document.getElementById("trace");
  if (!holder) return;
  const id = holder.dataset.trace;
  let duration = 0;
  let from = 0;
  let to = 0;

  function load(f, t) {
    let url = "/api/traces/" + id + ".svg";
    if (t > f) url += "?from=" + Math.floor(f) + "&to=" + Math.ceil(t);
    setText("zoom-status", "drawing…");
    fetch(url)
      .then((r) => {
        if (!r.ok) return r.text().then((m) => Promise.reject(new Error(m)));
        duration = Number(r.headers.get("X-Tracemap-Duration-Ns")) || duration;
        from = Number(r.headers.get("X-Tracemap-From-Ns")) || 0;
        to = Number(r.headers.get("X-Tracemap-To-Ns")) || duration;
        return r.text();
      })
      .then((text) => {
        holder.replaceChildren(svgFrom(text));
        const span = to - from;
        setText("zoom-status", span >= duration ? "whole trace" : "showing " + ms(from) + " – " + ms(to) + " of " + ms(duration));
        document.body.dataset.zoomFrom = String(from);
        document.body.dataset.zoomTo = String(to);
      })
      .catch((e) => setText("zoom-status", "could not draw: " + e.message, "tm-err"));
  }

  function ms(ns) {
    return (ns / 1e6).toFixed(ns < 1e7 ? 3 : 1) + " ms";
  }

  function zoom(factor, shift) {
    if (!(duration > 0)) return;
    const width = Math.max((to - from) * factor, 1000);
    let mid = (from + to) / 2 + shift * (to - from);
    let f = Math.max(0, mid - width / 2);
    let t = Math.min(duration, f + width);
    f = Math.max(0, t - width);
    if (t - f >= duration) {
      load(0, 0);
      return;
    }
    load(f, t);
  }

  document.getElementById("zoom-in").addEventListener("click", () => zoom(0.25, 0));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(4, 0));
  document.getElementById("pan-left").addEventListener("click", () => zoom(1, -0.5));
  document.getElementById("pan-right").addEventListener("click", () => zoom(1, 0.5));
  document.getElementById("zoom-reset").addEventListener("click", () => load(0, 0));
  load(0, 0);
}

document.addEventListener("DOMContentLoaded", () => {
  livePage();
  tracePage();
});
