/** The words of the API tokens, password and audit log pages in both languages. */

import { useCallback } from "react";

import { useLocale } from "../../i18n/locale";

const en = {
  "nav.tokens": "API tokens",
  "nav.audit": "Audit log",
  "tokens.title": "API tokens",
  "tokens.intro":
    "Scripts sign in with a token as “Authorization: Bearer …”. A token is shown once, when it is created; changing your password revokes all of them.",
  "tokens.name": "Name",
  "tokens.namePlaceholder": "e.g. stock export script",
  "tokens.expiry": "Valid for",
  "tokens.days": "{days} days",
  "tokens.never": "until revoked",
  "tokens.create": "Create token",
  "tokens.created": "Copy the token “{name}” now; it is not shown again:",
  "tokens.copy": "Copy",
  "tokens.copied": "Copied",
  "tokens.empty": "You have no API tokens.",
  "tokens.createdAt": "Created",
  "tokens.lastUsed": "Last used",
  "tokens.expires": "Expires",
  "tokens.state": "State",
  "tokens.revoke": "Revoke",
  "tokens.never.used": "never",
  "state.active": "active",
  "state.expired": "expired",
  "state.revoked": "revoked",
  "password.title": "Password",
  "password.current": "Current password",
  "password.new": "New password (at least 10 characters)",
  "password.submit": "Change password",
  "password.changed": "Password changed. Your API tokens were revoked and other browsers signed out.",
  "audit.title": "Audit log",
  "audit.intro": "Sign-ins, token and password changes, and every change an admin made, newest first.",
  "audit.action": "Action",
  "audit.allActions": "All actions",
  "audit.at": "When",
  "audit.who": "Who",
  "audit.ip": "IP",
  "audit.outcome": "Outcome",
  "audit.detail": "Detail",
  "audit.ok": "ok",
  "audit.failed": "failed",
  "audit.empty": "No events match.",
} as const;

export type SecurityKey = keyof typeof en;

const cs: Record<SecurityKey, string> = {
  "nav.tokens": "API tokeny",
  "nav.audit": "Auditní záznam",
  "tokens.title": "API tokeny",
  "tokens.intro":
    "Skripty se přihlašují tokenem jako „Authorization: Bearer …“. Token se ukáže jen jednou, při vytvoření; změna hesla zneplatní všechny.",
  "tokens.name": "Název",
  "tokens.namePlaceholder": "např. skript pro export skladu",
  "tokens.expiry": "Platnost",
  "tokens.days": "{days} dní",
  "tokens.never": "do zneplatnění",
  "tokens.create": "Vytvořit token",
  "tokens.created": "Zkopírujte token „{name}“ hned; znovu se neukáže:",
  "tokens.copy": "Kopírovat",
  "tokens.copied": "Zkopírováno",
  "tokens.empty": "Nemáte žádné API tokeny.",
  "tokens.createdAt": "Vytvořen",
  "tokens.lastUsed": "Naposledy použit",
  "tokens.expires": "Platí do",
  "tokens.state": "Stav",
  "tokens.revoke": "Zneplatnit",
  "tokens.never.used": "nikdy",
  "state.active": "platný",
  "state.expired": "vypršel",
  "state.revoked": "zneplatněn",
  "password.title": "Heslo",
  "password.current": "Současné heslo",
  "password.new": "Nové heslo (alespoň 10 znaků)",
  "password.submit": "Změnit heslo",
  "password.changed": "Heslo je změněno. Vaše API tokeny byly zneplatněny a ostatní prohlížeče odhlášeny.",
  "audit.title": "Auditní záznam",
  "audit.intro": "Přihlášení, změny tokenů a hesel a každá změna provedená správcem, nejnovější nahoře.",
  "audit.action": "Akce",
  "audit.allActions": "Všechny akce",
  "audit.at": "Kdy",
  "audit.who": "Kdo",
  "audit.ip": "IP",
  "audit.outcome": "Výsledek",
  "audit.detail": "Podrobnosti",
  "audit.ok": "v pořádku",
  "audit.failed": "neúspěch",
  "audit.empty": "Žádné záznamy neodpovídají.",
};

const MESSAGES = { en, cs };

export function useSecurityT() {
  const { locale } = useLocale();
  return useCallback(
    (key: SecurityKey, vars?: Record<string, string | number>) => {
      let text: string = MESSAGES[locale]?.[key] ?? en[key];
      for (const [name, value] of Object.entries(vars ?? {})) text = text.replace(`{${name}}`, String(value));
      return text;
    },
    [locale],
  );
}
