import {
  citiesList,
  cityDashboard,
  hubsList,
  spaceAvailability,
  spacesList,
} from "../../../clients/typescript/src";
import { h, lang, pick, problem, t, when } from "./ui";

export async function spacesPage(): Promise<Node> {
  const hubs = await hubsList();
  if (hubs.data === undefined) return problem(hubs.error);
  const sections = await Promise.all(
    hubs.data.items.map(async (hub) => {
      const { data } = await spacesList({ path: { hub_id: hub.id } });
      const links = (data?.items ?? []).map((space) =>
        h("li", {}, h("a", { href: `#/spaces/${space.id}` }, pick(space.name) || space.slug)),
      );
      return h("section", {}, h("h2", {}, `${pick(hub.name)} (${hub.town})`), h("ul", {}, ...links));
    }),
  );
  return h("section", {}, h("h1", {}, t("spaces")), ...sections);
}

export async function availabilityPage(spaceId: string, params: URLSearchParams): Promise<Node> {
  const date = params.get("date") ?? new Date().toISOString().slice(0, 10);
  const picker = h("input", { type: "date", name: "date", value: date, "aria-label": t("date") });
  picker.addEventListener("change", () => {
    location.hash = `#/spaces/${spaceId}?date=${picker.value}`;
  });
  const { data, error } = await spaceAvailability({ path: { space_id: spaceId }, query: { date } });
  if (data === undefined) return h("section", {}, picker, problem(error));
  return h(
    "section",
    {},
    h("label", {}, `${t("date")} `, picker),
    h("h1", {}, pick(data.name) || data.slug),
    h("p", {}, `${data.kind} · ${data.capacity} · ${data.timezone}`),
    h("h2", {}, `${t("free")} ${data.date}`),
    data.closed ? h("p", { class: "error" }, "×") : "",
    h(
      "ul",
      { id: "free" },
      ...data.free.map((slot) =>
        h("li", {}, `${when(slot.starts_at, data.timezone)} – ${when(slot.ends_at, data.timezone)}`),
      ),
    ),
  );
}

export async function citiesPage(): Promise<Node> {
  const { data, error } = await citiesList();
  if (data === undefined) return problem(error);
  const links = data.items.map((city) =>
    h("li", {}, h("a", { href: `#/cities/${city.code}` }, `${city.name} (${city.country})`)),
  );
  return h("section", {}, h("h1", {}, t("cities")), h("ul", {}, ...links));
}

/** One call gathers a city's plans, the practices it takes over and upcoming events. */
export async function dashboardPage(city: string): Promise<Node> {
  const { data, error } = await cityDashboard({ path: { city }, query: { lang: lang() } });
  if (data === undefined) return problem(error);
  const missing = (reason: string): HTMLElement => h("p", { class: "error" }, `${t("unavailable")}: ${reason}`);
  const { transfer, practices, events } = data;
  return h(
    "section",
    {},
    h("h1", {}, transfer.status === "ok" ? `${transfer.city.name} (${transfer.city.country})` : city),
    h("h2", {}, t("plans")),
    transfer.status === "ok"
      ? h(
          "ul",
          { id: "plans" },
          ...transfer.plans.map((plan) => {
            const overall = plan.progress.overall;
            const percent = overall === null ? "–" : `${Math.round(overall * 100)} %`;
            return h("li", {}, `${plan.title} (${plan.challenge}) · ${percent}`);
          }),
        )
      : missing(transfer.reason),
    h("h2", {}, t("practices")),
    practices.status === "ok"
      ? h("ul", { id: "practices" }, ...practices.items.map((practice) => h("li", {}, practice.title)))
      : missing(practices.reason),
    h("h2", {}, t("events")),
    events.status === "ok"
      ? h(
          "ul",
          { id: "events" },
          ...events.items.map((event) =>
            h("li", {}, h("a", { href: `#/events/${event.id}` }, event.title), ` · ${when(event.starts_at, event.timezone)}`),
          ),
        )
      : missing(events.reason),
  );
}
