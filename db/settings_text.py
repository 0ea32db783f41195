"""How the settings page presents each setting: its area, unit, label and help in English and
Czech (the English help is the catalogue's description). A setting without an entry here is
refused by tests/foundation/test_settings_text.py, so no raw key ever becomes a label.
"""

from __future__ import annotations

from dataclasses import dataclass

# Areas in the order the page shows them; the UI names them in both languages.
AREAS = ("sync", "storage", "backups", "monitoring", "customers", "inventory")

# Units the UI can name in both languages ("" = a plain number or text).
UNITS = ("days", "minutes", "weeks", "rows", "lines", "orders", "customers", "variants", "shops",
         "runs", "notifications", "share", "money", "")


@dataclass(frozen=True)
class SettingText:
    area: str
    unit: str
    label_en: str
    label_cs: str
    help_cs: str


T = SettingText
TEXTS: dict[str, SettingText] = {
    "sync.interval_minutes": T("sync", "minutes", "Sync interval", "Interval synchronizace",
                               "Po kolika minutách se načtou změny z obchodu."),
    "snapshots.retry_limit": T("sync", "runs", "Snapshot retries", "Opakování snapshotu",
                               "Kolikrát se neúspěšný snapshot zkusí znovu."),
    "snapshots.chunk_lines": T("sync", "lines", "Lines per ingest chunk", "Řádků v dávce načítání",
                               "Kolik řádků snapshotu se uloží najednou (jeden heartbeat na dávku)."),
    "partitions.future_quarters": T("storage", "", "Quarters premade ahead", "Předem připravená čtvrtletí",
                                    "Kolik čtvrtletních oddílů tabulek objednávek je připraveno dopředu."),
    "archive.retention_days": T("storage", "days", "Archive orders after", "Archivovat objednávky po",
                                "Objednávky starší než tento počet dní se přesunou do archivu."),
    "retention.notifications_days": T("storage", "days", "Keep notifications", "Uchovat oznámení",
                                      "Starší oznámení se mažou."),
    "retention.webhook_events_days": T("storage", "days", "Keep raw webhooks", "Uchovat přijaté webhooky",
                                       "Starší uložené webhooky se mažou."),
    "retention.snapshot_files_days": T("storage", "days", "Keep snapshot files", "Uchovat soubory snapshotů",
                                       "Starší stažené soubory snapshotů se smažou z disku."),
    "retention.snapshot_rejects_days": T("storage", "days", "Keep rejected snapshot lines", "Uchovat odmítnuté řádky snapshotů",
                                         "Jak dlouho zůstanou řádky, které se nepodařilo načíst, k prohlédnutí."),
    "retention.sync_rejects_days": T("storage", "days", "Keep unmapped sync documents", "Uchovat nenačtené dokumenty synchronizace",
                                     "Jak dlouho zůstanou dokumenty z Shoptetu, které synchronizace nedokázala převést."),
    "cleanup.batch_size": T("storage", "rows", "Rows deleted per statement", "Řádků smazaných najednou",
                            "Úklid maže po dávkách, aby zámky trvaly krátce."),
    "backups.retention_days": T("backups", "days", "Keep backups", "Uchovat zálohy",
                                "Jak dlouho se záloha databáze uchovává (nejnovější dobrá zůstane vždy)."),
    "backups.verify_interval_days": T("backups", "days", "Verify a restore every", "Ověřit obnovu každých",
                                      "Po kolika dnech se nejnovější záloha zkušebně obnoví a porovná."),
    "pitr.base_backup_interval_days": T("backups", "days", "Base backup every", "Základní záloha každých",
                                        "Po kolika dnech vznikne nová základní záloha pro obnovu k okamžiku (PITR)."),
    "pitr.keep_base_backups": T("backups", "", "Base backups kept", "Počet uchovaných základních záloh",
                                "Archivované WAL starší než nejstarší uchovaná základní záloha se mažou."),
    "monitoring.thresholds": T("monitoring", "", "Check thresholds", "Prahy kontrol",
                               'Prahy kontrol odlišné od výchozích, podle kontroly, např. `{"queue_wait": {"warn": 30, "critical": 60}}`.'),
    "monitoring.retention_days": T("monitoring", "days", "Keep monitoring history", "Uchovat historii monitoringu",
                                   "Jak dlouho zůstanou snímky dotazů, latence a chyb pro stránku monitoringu."),
    "integrity.shoptet_grace_minutes": T("monitoring", "minutes", "Ignore orders younger than", "Přeskočit objednávky mladší než",
                                         "Tak mladé objednávky se nezapočítají do kontroly počtu proti Shoptetu (zpoždění synchronizace)."),
    "analytics.customers.holdout_weeks": T("customers", "weeks", "Test period", "Testovací období",
                                           "Kolik posledních týdnů objednávek slouží k ověření modelů zákazníků, než se jim věří."),
    "analytics.customers.chunk_customers": T("customers", "customers", "Customers per chunk", "Zákazníků v dávce",
                                             "Kolik zákazníků se shrne v jednom kroku analýzy."),
    "analytics.customers.parallel_shops": T("customers", "shops", "Shops analysed at once", "Obchodů analyzovaných současně",
                                            "Kolik obchodů se v noční analýze zákazníků počítá zároveň."),
    "analytics.customers.rules_min_count": T("customers", "orders", "Orders bought together", "Společných objednávek",
                                             "V kolika objednávkách musí být dva produkty spolu, než se jeden doporučí k druhému."),
    "analytics.customers.rules_days": T("customers", "days", "Recommendations learn from", "Doporučení se učí z",
                                        "Z kolika dní objednávek se hledají produkty kupované spolu."),
    "analytics.customers.shipping_cost_share": T("customers", "share", "Shipping cost of what the customer paid", "Náklad dopravy z placené dopravy",
                                                 "Jakou část dopravy zaplacené zákazníkem stojí dopravce obchod (1: doprava se přeúčtuje za cenu)."),
    "analytics.customers.shipping_cost_per_order": T("customers", "money", "Shipping cost per order", "Náklad dopravy na objednávku",
                                                     "Další náklad na dopravu a balení každé objednávky, v měně obchodu bez DPH."),
    "analytics.customers.payment_cost_percent": T("customers", "", "Payment fees (% of the order)", "Poplatky za platbu (% objednávky)",
                                                  "Poplatky za platbu v procentech z celkové ceny objednávky s DPH (karty, platební brána)."),
    "analytics.customers.payment_cost_per_order": T("customers", "money", "Payment fee per order", "Poplatek za platbu na objednávku",
                                                    "Pevný poplatek za platbu každé objednávky, v měně obchodu."),
    "analytics.inventory.history_days": T("inventory", "days", "Sales history used", "Použitá historie prodejů",
                                          "Z kolika dní prodejů se učí předpovědi skladu."),
    "analytics.inventory.horizon_days": T("inventory", "days", "Forecast horizon", "Horizont předpovědi",
                                          "Na kolik dní dopředu se předpovídá poptávka; tak daleko sahají i data objednání."),
    "analytics.inventory.chunk_variants": T("inventory", "variants", "Variants per chunk", "Variant v dávce",
                                            "Kolik variant se předpoví v jednom kroku plánování."),
    "analytics.inventory.parallel_shops": T("inventory", "shops", "Shops planned at once", "Obchodů plánovaných současně",
                                            "Kolik obchodů se v nočním plánování skladu počítá zároveň."),
    "analytics.inventory.service_level": T("inventory", "share", "Service level", "Úroveň služby",
                                           "Pravděpodobnost, že zboží během doplňování nedojde; podle ní se počítá pojistná zásoba (0,5 až 0,999)."),
    "analytics.inventory.holding_cost_rate": T("inventory", "share", "Yearly holding cost", "Roční náklady na skladování",
                                               "Roční náklad držení zásob jako podíl nákupní ceny (0,25 = 25 %)."),
    "analytics.inventory.order_cost": T("inventory", "money", "Cost of one purchase order", "Náklad na jednu objednávku",
                                        "Vaše vlastní náklady na vystavení jedné nákupní objednávky (v měně obchodu), k nákladům dodavatele."),
    "analytics.inventory.order_window_days": T("inventory", "days", "Order window", "Okno objednání",
                                               "Varianty, které je třeba objednat do tolika dní, se doporučí k nákupu."),
    "analytics.inventory.budget": T("inventory", "money", "Nightly purchase budget", "Noční rozpočet nákupu",
                                    "Nejvýše kolik smějí stát doporučené nákupy jedné noci (0 = bez omezení)."),
    "analytics.inventory.lead_time_days": T("inventory", "days", "Assumed lead time", "Předpokládaná dodací lhůta",
                                            "Dodací lhůta pro varianty bez nabídky dodavatele."),
    "analytics.inventory.lead_time_sd_days": T("inventory", "days", "Lead time spread", "Rozptyl dodací lhůty",
                                               "Směrodatná odchylka předpokládané dodací lhůty ve dnech."),
    "analytics.inventory.anomaly_days": T("inventory", "days", "Anomaly check period", "Období kontroly anomálií",
                                          "Kolik posledních dní se každou noc kontroluje na neobvyklé prodeje a stavy skladu."),
    "analytics.inventory.notify_severity": T("inventory", "", "Notify from severity", "Upozornit od závažnosti",
                                             "Nejnižší závažnost anomálie skladu, která vyvolá oznámení."),
    "analytics.inventory.max_notifications": T("inventory", "notifications", "Notifications per run", "Oznámení za běh",
                                               "Nejvýše tolik oznámení o anomáliích vyvolá jeden běh; zbytek shrne jedno další."),
    "analytics.inventory.holidays": T("inventory", "", "Public holidays of", "Státní svátky země",
                                      "Země, jejíž státní svátky ovlivňují předpovědi (kód ISO, např. CZ; prázdné = žádné)."),
    "analytics.inventory.weather_source": T("inventory", "", "Weather source", "Zdroj počasí",
                                            "Odkud se berou denní data o počasí: http (archiv kompatibilní s Open-Meteo, stahuje se každou noc), csv (jen nahrané soubory) nebo off (bez počasí)."),
    "analytics.inventory.weather_region": T("inventory", "", "Weather region", "Oblast počasí",
                                            "Název oblasti, jejíž počasí mohou předpovědi obchodu použít (obchody se stejnou oblastí sdílejí její řadu)."),
    "analytics.inventory.weather_latitude": T("inventory", "", "Weather region latitude", "Zeměpisná šířka oblasti počasí",
                                              "Zeměpisná šířka oblasti počasí (stupně severní šířky)."),
    "analytics.inventory.weather_longitude": T("inventory", "", "Weather region longitude", "Zeměpisná délka oblasti počasí",
                                               "Zeměpisná délka oblasti počasí (stupně východní délky)."),
    "analytics.inventory.weather_url": T("inventory", "", "Weather archive URL", "Adresa archivu počasí",
                                         "Základní adresa archivu počasí kompatibilního s Open-Meteo (prázdné = WEATHER_API_URL)."),
}


def text_for(key: str) -> SettingText | None:
    return TEXTS.get(key)
