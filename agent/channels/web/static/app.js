// Dobby's page, a little livelier: forms sent in the background, states pushed live
// (Server-Sent Events from /events; no polling). Everything works without this file too.
(() => {
  "use strict";
  const meta = document.querySelector('meta[name="csrf"]');
  if (!meta) return;
  const csrf = meta.content;
  const toastBox = document.getElementById("toast");
  let hide = 0;
  const toast = (text) => {
    if (!text || !toastBox) return;
    toastBox.textContent = text;
    toastBox.classList.add("show");
    clearTimeout(hide);
    hide = setTimeout(() => toastBox.classList.remove("show"), 6000);
  };
  if (toastBox && toastBox.textContent.trim()) hide = setTimeout(() => toastBox.classList.remove("show"), 6000);
  const approvals = (html) => {
    const box = document.getElementById("approvals");
    if (box && typeof html === "string") box.innerHTML = html;
  };

  // The house is one form around every card: a tap sends its button and, for a Set, the
  // slider named as it, not every card's slider. Other forms send what they hold.
  function fields(form, submitter) {
    if (form.id !== "house") {
      const data = new FormData(form);
      if (submitter && submitter.name) data.set(submitter.name, submitter.value);
      return data;
    }
    const data = new FormData();
    if (!submitter) return data;
    data.set(submitter.name, submitter.value);
    const slider = form.elements.namedItem(submitter.value);
    if (slider instanceof HTMLInputElement) data.set(slider.name, slider.value);
    return data;
  }

  async function send(form, submitter) {
    const response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(fields(form, submitter)),
      headers: { Accept: "application/json", "X-CSRF-Token": csrf },
      credentials: "same-origin",
    });
    let body = {};
    try { body = await response.json(); } catch (error) { body = {}; }
    if (!response.ok) {
      toast(body.error || `Refused (${response.status})`);
      return;
    }
    approvals(body.approvals);
    const log = document.getElementById("log");
    if (!(log && body.lines)) toast(body.message);
    if (log && body.lines) {
      log.querySelector(".hint")?.remove();
      log.insertAdjacentHTML("beforeend", body.lines.join(""));
      log.lastElementChild?.scrollIntoView({ block: "end" });
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method !== "post" || "plain" in form.dataset) return;
    event.preventDefault();
    send(form, event.submitter).then(() => { if (form.id === "say") form.reset(); });
  });
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "range" || !input.form) return;
    const button = input.closest(".slider")?.querySelector("button");
    if (button && !button.disabled) input.form.requestSubmit(button);
  });

  if (window.EventSource) {
    const events = new EventSource("/events");
    events.addEventListener("entity", (event) => {
      const data = JSON.parse(event.data);
      const card = document.getElementById(data.id);
      if (card) card.outerHTML = data.html;
    });
    events.addEventListener("approvals", (event) => approvals(event.data));
    events.addEventListener("notice", (event) => toast(JSON.parse(event.data).text));
  }
})();
