import {
  eventGet,
  eventsList,
  registrationCancel,
  registrationCreate,
  registrationGet,
} from "../../../clients/typescript/src";
import type { Event } from "../../../clients/typescript/src";
import { h, pick, problem, t, when } from "./ui";

export async function eventsPage(): Promise<Node> {
  const { data, error } = await eventsList({ query: { from: new Date().toISOString(), limit: 20 } });
  if (data === undefined) return problem(error);
  return h(
    "section",
    {},
    h("h1", {}, t("events")),
    ...data.items.map((event) =>
      h(
        "article",
        { class: "card" },
        h("a", { href: `#/events/${event.id}` }, pick(event.title)),
        h("p", {}, `${when(event.starts_at, event.timezone)} · ${t("seatsLeft")}: ${event.seats_left}`),
      ),
    ),
  );
}

export async function eventPage(id: string): Promise<Node> {
  const { data, error } = await eventGet({ path: { event_id: id } });
  if (data === undefined) return problem(error);
  const outcome = h("div", { id: "outcome" });
  const seats = h("p", { id: "seats" }, seatsText(data));
  return h(
    "section",
    {},
    h("h1", {}, pick(data.title)),
    h("p", {}, `${when(data.starts_at, data.timezone)} – ${when(data.ends_at, data.timezone)}`),
    h("p", {}, pick(data.description)),
    seats,
    registrationForm(data, seats, outcome),
    outcome,
  );
}

function queue(position: number | null): string {
  return position === null ? "" : ` (#${position})`;
}

function seatsText(event: Event): string {
  return `${t("seatsLeft")}: ${event.seats_left} / ${event.capacity}`;
}

function registrationForm(event: Event, seats: HTMLElement, outcome: HTMLElement): HTMLElement {
  const form = h(
    "form",
    { id: "register" },
    h("h2", {}, t("register")),
    h("label", {}, `${t("name")} `, h("input", { name: "name", required: "" })),
    h("label", {}, `${t("email")} `, h("input", { name: "email", type: "email", required: "" })),
    h("label", {}, h("input", { name: "consent", type: "checkbox", required: "" }), ` ${t("consent")}`),
    h("button", { type: "submit" }, t("register")),
  );
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const fields = new FormData(form);
    const { data, error } = await registrationCreate({
      path: { event_id: event.id },
      headers: { "Idempotency-Key": crypto.randomUUID() },
      body: { name: String(fields.get("name")), email: String(fields.get("email")), consent: true },
    });
    if (data === undefined) {
      outcome.replaceChildren(problem(error));
      return;
    }
    const now = await eventGet({ path: { event_id: event.id } });
    if (now.data) seats.replaceChildren(seatsText(now.data));
    if (data.cancel_token === null) {
      // A replayed answer to an anonymous caller carries no token: only the first one does.
      outcome.replaceChildren(h("p", { class: "status" }, `${t("status")}: ${t(data.status)}`));
      return;
    }
    const manage = new URLSearchParams({ token: data.cancel_token });
    outcome.replaceChildren(
      h("p", { class: "status" }, `${t("status")}: ${t(data.status)}`, queue(data.waitlist_position)),
      h("p", {}, `${t("token")}: `, h("code", { id: "token" }, data.cancel_token)),
      h("a", { href: `#/events/${event.id}/registrations/${data.id}?${manage}` }, t("manage")),
    );
  });
  return form;
}

/** Read and cancel one's own registration with the cancel token (no account needed). */
export async function managePage(eventId: string, registrationId: string, params: URLSearchParams): Promise<Node> {
  const token = h("input", { name: "token", value: params.get("token") ?? "", "aria-label": t("token") });
  const shown = h("div", { id: "registration" });
  const path = { event_id: eventId, registration_id: registrationId };
  let etag = "";
  const read = async (): Promise<void> => {
    const headers = { "X-Cancel-Token": token.value };
    const { data, error, response } = await registrationGet({ path, headers });
    if (data === undefined) {
      shown.replaceChildren(problem(error));
      return;
    }
    etag = response.headers.get("ETag") ?? "";
    shown.replaceChildren(
      h("p", {}, `${data.name ?? ""} <${data.email ?? ""}>`),
      h("p", { class: "status", "data-status": data.status }, `${t("status")}: ${t(data.status)}`),
    );
  };
  const cancel = async (): Promise<void> => {
    const headers = { "X-Cancel-Token": token.value, "If-Match": etag };
    const { error, response } = await registrationCancel({ path, headers });
    if (response.status !== 204) {
      shown.replaceChildren(problem(error));
      return;
    }
    await read();
  };
  const readButton = h("button", { type: "button", id: "read" }, t("read"));
  const cancelButton = h("button", { type: "button", id: "cancel" }, t("cancel"));
  readButton.addEventListener("click", () => void read());
  cancelButton.addEventListener("click", () => void cancel());
  await read();
  return h(
    "section",
    {},
    h("h1", {}, t("manage")),
    h("p", {}, h("a", { href: `#/events/${eventId}` }, "←")),
    h("label", {}, `${t("token")} `, token),
    readButton,
    cancelButton,
    shown,
  );
}
