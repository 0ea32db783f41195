import { describe, expect, it } from "vitest";

import { addressLines } from "./address";

// Keys in the order PostgreSQL's JSONB returns them (by length), which once scrambled the drawer.
const stored = {
  zip: "250 88",
  city: "Čelákovice",
  street: "Sokolská",
  company: null,
  fullName: "Jana Zemanová",
  district: null,
  regionName: "Středočeský kraj",
  additional: null,
  countryCode: "CZ",
  houseNumber: "12",
  regionShortcut: "S",
};

describe("addressLines", () => {
  it("writes a delivery address name first, street, zip and city, country — whatever the key order", () => {
    expect(addressLines("cs", stored)).toEqual(["Jana Zemanová", "Sokolská 12", "250 88 Čelákovice", "Česko"]);
    expect(addressLines("en", stored).at(-1)).toBe("Czechia");
  });

  it("reads the billing fields and puts the company under the name", () => {
    const billing = { country: "SK", zip: "811 01", city: "Bratislava", company: "Acme s.r.o.", name: "Jan Novák" };
    expect(addressLines("en", billing)).toEqual(["Jan Novák", "Acme s.r.o.", "811 01 Bratislava", "Slovakia"]);
  });

  it("leaves out empty lines and survives junk", () => {
    expect(addressLines("en", null)).toEqual([]);
    expect(addressLines("en", { city: "  ", zip: "" })).toEqual([]);
    expect(addressLines("en", { countryCode: "Bohemia" })).toEqual(["Bohemia"]);
  });
});
