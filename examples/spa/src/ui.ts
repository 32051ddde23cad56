// The few things every page needs: the API client, the language, labels and a DOM builder.
import { client } from "../../../clients/typescript/src/client.gen";

client.setConfig({ baseUrl: import.meta.env.VITE_API_URL ?? "http://127.0.0.1:8000" });

export type Lang = "sl" | "en";

const LABELS = {
  catalog: { sl: "Katalog", en: "Catalogue" },
  events: { sl: "Dogodki", en: "Events" },
  spaces: { sl: "Prostori", en: "Spaces" },
  cities: { sl: "Mesta", en: "Cities" },
  search: { sl: "Išči", en: "Search" },
  results: { sl: "Zadetki", en: "Results" },
  kind: { sl: "Vrsta", en: "Kind" },
  block: { sl: "Gradnik", en: "Innovation block" },
  challenge: { sl: "Izziv", en: "Challenge" },
  nothing: { sl: "Ni zadetkov.", en: "Nothing found." },
  register: { sl: "Prijava", en: "Register" },
  name: { sl: "Ime", en: "Name" },
  email: { sl: "E-pošta", en: "Email" },
  consent: { sl: "Strinjam se z obdelavo podatkov", en: "I agree to the processing of my data" },
  seatsLeft: { sl: "Prostih mest", en: "Seats left" },
  token: { sl: "Žeton za odjavo", en: "Cancel token" },
  manage: { sl: "Moja prijava", en: "Manage my registration" },
  read: { sl: "Preberi", en: "Read" },
  cancel: { sl: "Odjavi", en: "Cancel" },
  status: { sl: "Stanje", en: "Status" },
  date: { sl: "Datum", en: "Date" },
  free: { sl: "Prosto", en: "Free" },
  plans: { sl: "Načrti", en: "Plans" },
  practices: { sl: "Prakse", en: "Practices" },
  unavailable: { sl: "ni na voljo", en: "unavailable" },
  confirmed: { sl: "potrjena", en: "confirmed" },
  waitlisted: { sl: "na čakalni listi", en: "on the waiting list" },
  cancelled: { sl: "odjavljena", en: "cancelled" },
} as const;

export function lang(): Lang {
  return localStorage.getItem("lang") === "en" ? "en" : "sl";
}

export function setLang(value: string): void {
  localStorage.setItem("lang", value === "en" ? "en" : "sl");
}

export function t(key: keyof typeof LABELS): string {
  return LABELS[key][lang()];
}

/** A text in the reader's language, else Slovenian, else any. */
export function pick(texts: Partial<Record<string, string>>): string {
  return texts[lang()] ?? texts.sl ?? Object.values(texts).find(Boolean) ?? "";
}

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const child of children) if (child) element.append(child);
  return element;
}

/** The problem's detail of a failed call, shown instead of the page's content. */
export function problem(error: unknown): HTMLElement {
  const detail =
    typeof error === "object" && error !== null && "detail" in error
      ? String((error as { detail: unknown }).detail)
      : String(error);
  return h("p", { class: "error", role: "alert" }, detail);
}

export function when(iso: string, timeZone?: string): string {
  const locale = lang() === "en" ? "en-GB" : "sl-SI";
  return new Date(iso).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", timeZone });
}
