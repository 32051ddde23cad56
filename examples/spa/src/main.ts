// Hash routes: each page is an async function of the route's parameters that returns a node.
import { availabilityPage, citiesPage, dashboardPage, spacesPage } from "./places";
import { catalogPage, entryPage } from "./catalog";
import { eventPage, eventsPage, managePage } from "./events";
import { h, lang, problem, setLang, t } from "./ui";

type Page = (match: string[], params: URLSearchParams) => Promise<Node>;

const ROUTES: [RegExp, Page][] = [
  [/^\/$/, (_, params) => catalogPage(params)],
  [/^\/entries\/([^/]+)$/, ([ref]) => entryPage(ref)],
  [/^\/events$/, () => eventsPage()],
  [/^\/events\/([^/]+)$/, ([id]) => eventPage(id)],
  [/^\/events\/([^/]+)\/registrations\/([^/]+)$/, ([event, registration], params) =>
    managePage(event, registration, params)],
  [/^\/spaces$/, () => spacesPage()],
  [/^\/spaces\/([^/]+)$/, ([id], params) => availabilityPage(id, params)],
  [/^\/cities$/, () => citiesPage()],
  [/^\/cities\/([^/]+)$/, ([city]) => dashboardPage(city)],
];

const app = document.getElementById("app") as HTMLElement;
const picker = document.getElementById("lang") as HTMLSelectElement;

let latest = 0;

async function render(): Promise<void> {
  const mine = ++latest; // a slow earlier page never replaces a later one
  document.documentElement.lang = picker.value = lang();
  for (const link of document.querySelectorAll<HTMLElement>("[data-label]")) {
    link.textContent = t(link.dataset.label as "catalog");
  }
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?", 2);
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(path || "/");
    if (match === null) continue;
    app.setAttribute("aria-busy", "true");
    let content: Node;
    try {
      content = await page(match.slice(1).map(decodeURIComponent), new URLSearchParams(query));
    } catch (error) {
      content = problem(error);
    }
    if (mine !== latest) return;
    app.replaceChildren(content);
    app.setAttribute("aria-busy", "false");
    app.dataset.shown = location.hash; // the page on screen (what the browser test waits for)
    return;
  }
  app.replaceChildren(h("p", { class: "error" }, "404"));
  app.dataset.shown = location.hash;
}

picker.addEventListener("change", () => {
  setLang(picker.value);
  void render();
});
window.addEventListener("hashchange", () => void render());
void render();
