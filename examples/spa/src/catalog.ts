import { entriesList, entryGet } from "../../../clients/typescript/src";
import type { Facets } from "../../../clients/typescript/src";
import { h, lang, pick, problem, t } from "./ui";

const FACETS = ["kind", "block", "challenge"] as const;

export async function catalogPage(params: URLSearchParams): Promise<Node> {
  const q = params.get("q") ?? "";
  const form = h(
    "form",
    { role: "search" },
    h("input", { name: "q", type: "search", value: q, "aria-label": t("search") }),
    h("button", { type: "submit" }, t("search")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams({ q: new FormData(form).get("q")?.toString() ?? "" });
    location.hash = `#/?${next}`;
  });
  const query = {
    q: q || undefined,
    lang: lang(),
    facets: true,
    limit: 20,
    kind: params.getAll("kind") as never[],
    block: params.getAll("block"),
    challenge: params.getAll("challenge"),
  };
  const { data, error } = await entriesList({ query });
  if (data === undefined) return h("section", {}, form, problem(error));
  const results = data.items.map((entry) =>
    h(
      "article",
      { class: "card" },
      h("a", { href: `#/entries/${entry.slug}` }, pick(entry.title) || entry.slug),
      h("small", {}, ` · ${entry.kind}`),
      h("p", {}, pick(entry.summary)),
    ),
  );
  return h(
    "section",
    {},
    h("h1", {}, t("catalog")),
    form,
    h(
      "div",
      { class: "columns" },
      facetList(data.facets ?? null, params),
      h(
        "div",
        { class: "results" },
        h("h2", {}, `${t("results")}: ${data.items.length}`),
        ...(results.length ? results : [h("p", {}, t("nothing"))]),
      ),
    ),
  );
}

function facetList(facets: Facets | null, params: URLSearchParams): HTMLElement {
  const aside = h("aside", { class: "facets" });
  if (facets === null) return aside;
  for (const name of FACETS) {
    const items = Object.entries(facets[name]).map(([value, count]) => {
      const next = new URLSearchParams(params);
      next.append(name, value);
      return h("li", {}, h("a", { href: `#/?${next}` }, `${value} (${count})`));
    });
    aside.append(h("h3", {}, t(name)), h("ul", { "data-facet": name }, ...items));
  }
  return aside;
}

export async function entryPage(ref: string): Promise<Node> {
  const { data, error } = await entryGet({ path: { ref }, query: { lang: lang() } });
  if (data === undefined) return problem(error);
  return h(
    "article",
    {},
    h("h1", {}, pick(data.title) || data.slug),
    h("p", {}, h("em", {}, `${data.kind} · ${data.status}`)),
    h("p", {}, h("strong", {}, pick(data.summary))),
    h("div", { class: "body" }, pick(data.body)),
    h("p", {}, `${t("challenge")}: ${data.challenges.join(", ")}`),
    h("p", {}, `${t("block")}: ${data.innovation_blocks.join(", ")}`),
  );
}
