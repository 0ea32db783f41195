"""Czech word lists the generator draws from: names, streets, towns with their ZIPs, products.

Kept as plain tuples so generated shops look like a Czech e-shop's data (diacritics, female
surname forms, `110 00`-style ZIPs) and exercise the same encoding paths real data does.
"""

from __future__ import annotations

MALE_FIRST = (
    "Jan",
    "Petr",
    "Jiří",
    "Pavel",
    "Martin",
    "Tomáš",
    "Josef",
    "Jaroslav",
    "Miroslav",
    "Zdeněk",
    "Václav",
    "Michal",
    "František",
    "Jakub",
    "Lukáš",
    "Karel",
    "Milan",
    "Vojtěch",
    "Ondřej",
    "David",
    "Filip",
    "Radek",
    "Matěj",
    "Adam",
    "Štěpán",
)
FEMALE_FIRST = (
    "Jana",
    "Marie",
    "Eva",
    "Hana",
    "Anna",
    "Lenka",
    "Kateřina",
    "Lucie",
    "Věra",
    "Alena",
    "Petra",
    "Veronika",
    "Jaroslava",
    "Tereza",
    "Martina",
    "Michaela",
    "Jitka",
    "Helena",
    "Ludmila",
    "Zuzana",
    "Barbora",
    "Klára",
    "Eliška",
    "Markéta",
    "Šárka",
)
# (male form, female form)
SURNAMES = (
    ("Novák", "Nováková"),
    ("Svoboda", "Svobodová"),
    ("Novotný", "Novotná"),
    ("Dvořák", "Dvořáková"),
    ("Černý", "Černá"),
    ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"),
    ("Veselý", "Veselá"),
    ("Horák", "Horáková"),
    ("Němec", "Němcová"),
    ("Marek", "Marková"),
    ("Pospíšil", "Pospíšilová"),
    ("Pokorný", "Pokorná"),
    ("Hájek", "Hájková"),
    ("Král", "Králová"),
    ("Jelínek", "Jelínková"),
    ("Růžička", "Růžičková"),
    ("Beneš", "Benešová"),
    ("Fiala", "Fialová"),
    ("Sedláček", "Sedláčková"),
    ("Doležal", "Doležalová"),
    ("Zeman", "Zemanová"),
    ("Kolář", "Kolářová"),
    ("Navrátil", "Navrátilová"),
    ("Čermák", "Čermáková"),
    ("Urban", "Urbanová"),
    ("Vaněk", "Vaňková"),
    ("Blažek", "Blažková"),
    ("Kříž", "Křížová"),
    ("Kovář", "Kovářová"),
)
STREETS = (
    "Nádražní",
    "Husova",
    "Masarykova",
    "Palackého",
    "Komenského",
    "Školní",
    "Zahradní",
    "Sokolská",
    "Tyršova",
    "Jiráskova",
    "Žižkova",
    "Smetanova",
    "Havlíčkova",
    "Revoluční",
    "Lidická",
    "Na Příkopě",
    "Vinohradská",
    "Karlova",
    "Polní",
    "Lipová",
    "Krátká",
    "Družstevní",
    "U Parku",
    "Třída Svobody",
    "Dlouhá",
)
# (town, ZIP, region name, region shortcut)
TOWNS = (
    ("Praha 1", "110 00", "Hlavní město Praha", "PHA"),
    ("Praha 4", "140 00", "Hlavní město Praha", "PHA"),
    ("Praha 6", "160 00", "Hlavní město Praha", "PHA"),
    ("Praha 10", "100 00", "Hlavní město Praha", "PHA"),
    ("Brno", "602 00", "Jihomoravský kraj", "JHM"),
    ("Ostrava", "702 00", "Moravskoslezský kraj", "MSK"),
    ("Plzeň", "301 00", "Plzeňský kraj", "PLK"),
    ("Liberec", "460 01", "Liberecký kraj", "LBK"),
    ("Olomouc", "779 00", "Olomoucký kraj", "OLK"),
    ("České Budějovice", "370 01", "Jihočeský kraj", "JHC"),
    ("Hradec Králové", "500 02", "Královéhradecký kraj", "HKK"),
    ("Ústí nad Labem", "400 01", "Ústecký kraj", "ULK"),
    ("Pardubice", "530 02", "Pardubický kraj", "PAK"),
    ("Zlín", "760 01", "Zlínský kraj", "ZLK"),
    ("Havířov", "736 01", "Moravskoslezský kraj", "MSK"),
    ("Kladno", "272 01", "Středočeský kraj", "STC"),
    ("Most", "434 01", "Ústecký kraj", "ULK"),
    ("Opava", "746 01", "Moravskoslezský kraj", "MSK"),
    ("Jihlava", "586 01", "Kraj Vysočina", "VYS"),
    ("Karlovy Vary", "360 01", "Karlovarský kraj", "KVK"),
    ("Teplice", "415 01", "Ústecký kraj", "ULK"),
    ("Děčín", "405 02", "Ústecký kraj", "ULK"),
    ("Mladá Boleslav", "293 01", "Středočeský kraj", "STC"),
    ("Prostějov", "796 01", "Olomoucký kraj", "OLK"),
    ("Přerov", "750 02", "Olomoucký kraj", "OLK"),
    ("Třebíč", "674 01", "Kraj Vysočina", "VYS"),
    ("Tábor", "390 01", "Jihočeský kraj", "JHC"),
    ("Znojmo", "669 02", "Jihomoravský kraj", "JHM"),
    ("Kolín", "280 02", "Středočeský kraj", "STC"),
    ("Příbram", "261 01", "Středočeský kraj", "STC"),
    ("Čelákovice", "250 88", "Středočeský kraj", "STC"),
    ("Frýdek-Místek", "738 01", "Moravskoslezský kraj", "MSK"),
)
EMAIL_DOMAINS = (
    "seznam.cz",
    "email.cz",
    "gmail.com",
    "centrum.cz",
    "post.cz",
    "volny.cz",
    "atlas.cz",
)
COMPANIES = (
    "Stavebniny Horák s.r.o.",
    "Kavárna U Zvonu",
    "Pekařství Dvořák",
    "Autoservis Novotný s.r.o.",
    "Zahradnictví Fiala",
    "Truhlářství Kolář",
    "IT Služby Beneš s.r.o.",
    "Květinářství Růže",
)

# (category, nouns, VAT rate in hundredths of a percent, price range in CZK, weight range in grams)
CATEGORIES = (
    (
        "Kuchyně",
        ("Hrnek", "Talíř", "Miska", "Konvice", "Pánev", "Hrnec", "Prkénko", "Sada nožů"),
        2100,
        (89, 1890),
        (150, 2500),
    ),
    (
        "Zahrada",
        ("Konev", "Květináč", "Zahradní nůžky", "Hadice", "Truhlík", "Lopatka"),
        2100,
        (59, 1490),
        (200, 4000),
    ),
    (
        "Hračky",
        ("Stavebnice", "Plyšový medvěd", "Puzzle", "Dřevěné kostky", "Skládačka", "Panenka"),
        2100,
        (99, 2490),
        (100, 1500),
    ),
    (
        "Drogerie",
        ("Mýdlo", "Šampon", "Krém na ruce", "Zubní pasta", "Sprchový gel"),
        2100,
        (39, 399),
        (80, 600),
    ),
    (
        "Potraviny",
        ("Med", "Káva zrnková", "Čaj sypaný", "Čokoláda", "Sirup", "Marmeláda"),
        1200,
        (49, 549),
        (100, 1200),
    ),
    (
        "Oblečení",
        ("Tričko", "Mikina", "Ponožky", "Čepice", "Šála", "Zástěra"),
        2100,
        (149, 1990),
        (80, 800),
    ),
    (
        "Knihy",
        ("Kuchařka", "Průvodce", "Atlas", "Pohádky", "Zpěvník"),
        1200,
        (199, 899),
        (200, 1400),
    ),
)
ADJECTIVES = (
    "keramický",
    "klasický",
    "domácí",
    "ruční",
    "bio",
    "dárkový",
    "praktický",
    "moderní",
    "rodinný",
    "velký",
    "malý",
    "cestovní",
    "zimní",
    "letní",
)
BRANDS = (
    ("zlata-lipa", "Zlatá Lípa"),
    ("krkonosska-dilna", "Krkonošská dílna"),
    ("moravska-keramika", "Moravská keramika"),
    ("prazsky-design", "Pražský design"),
    ("sumava-outdoor", "Šumava Outdoor"),
    ("vltava-home", "Vltava Home"),
    ("hanacka-tradice", "Hanácká tradice"),
    ("beskydy-bio", "Beskydy Bio"),
)
SUPPLIERS = (
    "Velkoobchod Morava s.r.o.",
    "Bohemia Distribuce a.s.",
    "Sklad Praha-Východ s.r.o.",
    "Dřevovýroba Jeseník",
    "Textil Náchod s.r.o.",
    "Potraviny Vysočina a.s.",
)
# variant axes: (parameter name, [(value, code suffix)])
COLOURS = (
    "Barva",
    (("Červená", "CRV"), ("Modrá", "MOD"), ("Zelená", "ZEL"), ("Černá", "CRN"), ("Bílá", "BIL")),
)
SIZES = ("Velikost", (("S", "S"), ("M", "M"), ("L", "L"), ("XL", "XL")))

# (name, price in cents, shipping company code)
SHIPPINGS = (
    ("Zásilkovna - výdejní místo", 7900, "zasilkovna"),
    ("PPL - doručení na adresu", 12900, "ppl"),
    ("Česká pošta - Balík Do ruky", 11900, "ceskaPosta"),
    ("Osobní odběr - prodejna Brno", 0, None),
)
# (name, price in cents, billing method id, billing method name)
PAYMENTS = (
    ("Převodem", 0, 1, "Bankovní převod"),
    ("Dobírkou", 3900, 2, "Dobírka"),
    ("Platba kartou online", 0, 4, "Platební karta"),
    ("Hotově na prodejně", 0, 3, "Hotovost"),
)
# Shoptet's system order statuses as this sandbox numbers them.
ORDER_STATUSES = (
    (-1, "Nevyřízena", 1, False),
    (-2, "Vyřizuje se", 2, False),
    (-3, "Vyřízena", 3, True),
    (-4, "Stornována", 4, False),
)
STATUS_NAMES = {sid: name for sid, name, _, _ in ORDER_STATUSES}
STOCKS = ("Hlavní sklad", "Prodejna Brno", "Sklad Ostrava", "Sklad Plzeň")
CUSTOMER_REMARKS = ("Preferuje doručení odpoledne.", "Stálý zákazník.", "Volat před doručením.")
ORDER_REMARKS = (
    "Prosím doručit odpoledne.",
    "Zvonek nefunguje, volejte.",
    "Dárek, nevkládejte fakturu.",
    "Nechte u sousedů v přízemí.",
)
