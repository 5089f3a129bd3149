"""beknopt.checks: numbers and names of a Dutch sentence against its English translation.

The agreeing pairs are real news sentences from FLORES-200 devtest (Dutch source, English human reference,
line numbers as in eval/data/flores200_devtest_nl_en), hand-checked: their numbers and names agree, so the
checks must find nothing. The altered and constructed pairs assert the exact finding.
"""

from __future__ import annotations

import pytest
from conftest import fresh_python

from beknopt.checks import Finding, check_names, check_numbers, check_translation, dutch_numbers, english_numbers

FLORES_AGREE = [
    (8,
     'Eind 2017 was Siminoff te zien op teleshoppingkanaal QVC.',
     'In late 2017, Siminoff appeared on shopping television channel QVC.'),
    (20,
     'De film met Ryan Gosling en Emma Stone in de hoofdrollen werd voor alle belangrijke categorieën '
     'genomineerd.',
     'The movie, featuring Ryan Gosling and Emma Stone, received nominations in all major categories.'),
    (25,
     'De aankondiging kwam na een telefonisch overleg tussen Trump en de Turkse president Recep '
     'Tayyip Erdoğan.',
     'The announcement was made after Trump had a phone conversation with Turkish President Recep '
     'Tayyip Erdoğan.'),
    (41,
     'De 802.11n-norm is compatibel met beide frequenties: 2,4 Ghz en 5,0 Ghz.',
     'The 802.11n standard operates on both the 2.4Ghz and 5.0Ghz frequencies.'),
    (42,
     "Mits het basisstation over dubbele radio's beschikt, maakt dit achterwaartse compatibiliteit "
     'met 802.11a, 802.11b en 802.11g mogelijk.',
     'This will allow it to be backwards compatible with 802.11a, 802.11b and 802.11g, provided that '
     'the base station has dual radios.'),
    (43,
     'Snelheden van 802.11n zijn substantieel sneller dan die van voorlopers met een maximale '
     'theoretische capaciteit van 600Mbit/s.',
     'The speeds of 802.11n are substantially faster than that of its predecessors with a maximum '
     'theoretical throughput of 600Mbit/s.'),
    (46,
     "'We doen ons uiterste best de koolstofdioxide-uitstoot per eenheid van het BBP in 2020 met een "
     "aanzienlijke marge te verminderen in vergelijking met het niveau van 2005,' zei Hu.",
     '"We will endeavour to cut carbon dioxide emissions per unit of GDP by a notable margin by 2020 '
     'from the 2005 level," Hu said.'),
    (50,
     'De Irakese studiegroep presenteerde hun rapport vandaag om 12.00 uur GMT.',
     'The Iraq Study Group presented its report at 12.00 GMT today.'),
    (64,
     'Vanaf boekjaar 2005 financierde het Congres het initiatief tegen obsceniteit en verklaarde dat '
     'de FBI tien agenten moet inzetten op volwassenenpornografie.',
     'Congress began funding the obscenity initiative in fiscal 2005 and specified that the FBI must '
     'devote 10 agents to adult pornography.'),
    (66,
     'In de middelste orde presteerden de slagmannen Sachin Tendulkar en Rahul Dravid goed en maakten '
     'samen honderd runs.',
     'Middle order batsmen, Sachin Tendulkar and Rahul Dravid, performed well and made a hundred-run '
     'partnership.'),
    (68,
     'President van de Verenigde Staten George W. Bush arriveerde op 16 november in de ochtend in '
     'Singapore voor een rondreis van een week door Azië.',
     'U.S. President George W. Bush arrived in Singapore the morning of November 16, beginning a '
     'week-long tour of Asia.'),
    (79,
     "Een woordvoerder van Bush, Gordon Johndroe, beschreef de belofte van Noord-Korea 'een grote "
     "vooruitgang in ons doel om het Koreaanse schiereiland te denucleariseren.'",
     'Bush spokesman Gordon Johndroe called North Korea\'s pledge "a major step towards the goal of '
     'achieving the verifiable denuclearization of the Korean peninsula."'),
    (97,
     'XDR-TB (Extremely Drug Resistant Tuberculosis) werd door Dr. Tony Moll ontdekt in de provincie '
     'KwaZulu-Natal van Zuid-Afrika.',
     'Dr. Tony Moll discovered the Extremely Drug Resistant Tuberculosis (XDR-TB) in the South '
     'African region KwaZulu-Natal.'),
    (101,
     'Het percentage XDR-TB onder alle tuberculosepatiënten lijkt echter nog steeds aan de lage kant: '
     '6000 uit 330.000 geïnfecteerde mensen in totaal op een willekeurig moment in Zuid-Afrika.',
     'However, the percentage of XDR-TB in the entire group of people with tuberculosis still seems '
     'to be low; 6,000 of the total 330,000 people infected at any particular moment in South Africa.'),
    (102,
     'De satellieten, die beide meer dan 1.000 pond wogen en zich met ongeveer 17.500 mijl per uur '
     'voortbewogen, kwamen 491 mijl boven aarde in botsing.',
     'The satellites, both of which weighed in excess of 1,000 pounds, and traveling at approximately '
     '17,500 miles per hour, collided 491 miles above the Earth.'),
    (109,
     'Ze stuurde officieren naar haar zwarte Oldsmobile Intrigue die 500 voet verderop stond.',
     'She directed officers to her black Oldsmobile Intrigue which was 500 feet away.'),
    (118,
     'Hij produceerde meer dan 1000 postzegels voor Zweden en nog 28 andere landen.',
     'He produced over 1,000 stamps for Sweden and 28 other countries.'),
    (120,
     "De prachtige postzegel 'Great Deeds by Swedish Kings', gemaakt door David Klöcker Ehrenstrahl "
     'in 2000 en die vermeld wordt in het Guinness Book of Records, was zijn 1.000ste postzegel.',
     'His 1,000th stamp was the magnificent "Great Deeds by Swedish Kings" by David Klöcker '
     'Ehrenstrahl in 2000, which is listed in the Guinness Book of World Records.'),
    (123,
     'De 64-jarige vrachtwagenchauffeur raakte niet gewond bij het ongeval.',
     'The truck driver, who is aged 64, was not injured in the crash.'),
    (124,
     'Het voertuig zelf werd dezelfde dag rond 12.00 uur GMT weggehaald van de plek van het ongeluk.',
     'The vehicle itself was taken away from the scene of the accident at approximately 1200 GMT on '
     'the same day.'),
    (134,
     'Tussen 22:00-23:00 uur lokale tijd werd er op de binnenplaats brand gesticht door de '
     'gevangenen.',
     'Between 10:00-11:00 pm MDT, a fire was started by the inmates in the yard.'),
    (136,
     'De brandweer kon om 11:35 uur het sein brand meester geven.',
     'Fire rescue crews eventually doused the fire by 11:35 pm.'),
    (137,
     'De seizoensgebonden overstromingen waardoor sediment door de rivier zou worden verspreid, '
     'kwamen tot een einde na de bouw van de dam in 1963.',
     'After the dam was built in 1963, the seasonal floods that would spread sediment throughout the '
     'river were halted.'),
    (153,
     'De favoriet van het toernooi, Zuid-Afrika, begon goed met een comfortabele winst van 26 - 00 '
     'tegen het als 5e geplaatste Zambia.',
     'Tournament top seeds South Africa started on the right note when they had a comfortable 26 - 00 '
     'win against 5th seeded Zambia.'),
    (181,
     'Maandag om 10:08 uur werd het westen van Montana opgeschrikt door een middelzware aardbeving.',
     'A moderate earthquake shook western Montana at 10:08 p.m. on Monday.'),
    (183,
     "De aardbeving deed zich zo'n 20 km (15 mijl) ten noord-noordoosten van Dillon voor, en zo'n 65 "
     'km (40 mijl) ten zuiden van Butte.',
     'The earthquake was centered about 20 km (15 miles) north-northeast of Dillon, and about 65 km '
     '(40 miles) south of Butte.'),
    (186,
     'Vermoedelijke H5N1-gevallen in Kroatië en Denemarken blijven onbevestigd.',
     'Suspected cases of H5N1 in Croatia and Denmark remain unconfirmed.'),
    (189,
     "De Franse opera is een verhaal van Camille Saint-Saens en gaat over een artiest 'wiens leven "
     "bepaald wordt door de liefde voor drugs en Japan.'",
     'The story presented in the French opera, by Camille Saint-Saens, is of an artist "whose life is '
     'dictated by a love for drugs and Japan."'),
    (201,
     'De Australische Mitchell Gourley eindigde elfde van de mannen in de staande Super-G. Zijn '
     'Tsjechische tegenstander Oldrich Jelinek werd zestiende in de zittende Super-G.',
     "Australia's Mitchell Gourley finished eleventh in the men's standing Super-G. Czech competitor "
     "Oldrich Jelinek finished sixteenth in the men's sitting Super-G."),
    (203,
     'De blinde skiër Maciej Krezel van het Poolse mannenteam en zijn gids Anna Ogarzynska werden '
     'dertiende op de Super G. De Zuid-Koreaanse Jong Seork Park werd vierentwintigste in de zittende '
     'Super-G voor mannen.',
     "Poland's men's visually impaired skier Maciej Krezel and guide Anna Ogarzynska finished "
     "thirteenth in the Super-G. South Korea's Jong Seork Park finished twenty-fourth in the men's "
     'sitting Super-G.'),
    (206,
     'Haïti had sinds 1800 geen last gehad van de ziekte, tot de troepen arriveerden.',
     'Prior to the arrival of troops, Haiti had not encountered problems related to the disease since '
     'the 1800s.'),
    (222,
     'Afgelopen maand vond in Iran de ergste vliegtuigramp in jaren plaats toen een vliegtuig dat '
     'onderweg was naar Armenië neerstortte. De 168 inzittenden overleefden het niet.',
     'Last month Iran saw its worst air disaster in years when an airliner heading to Armenia '
     'crashed, killing the 168 on board.'),
    (228,
     'Del Potro had een vroege voorsprong in de tweede set, maar ook hier volgde een tiebreak nadat '
     'het 6-6 werd.',
     'Del Potro had the early advantage in the second set, but this too required a tie break after '
     'reaching 6-6.'),
    (230,
     'De plaatselijke starttijd van het programma was 20.30 uur (15.00 UTC).',
     'The program started at 8:30 p.m. local time (15.00 UTC).'),
    (236,
     'Donderdag onthulde Satoru Iwata, de directeur van Nintendo, tijdens de keynotepresentatie van '
     'de Tokyo Game Show het ontwerp van de controller voor de nieuwe Nintendo Revolution.',
     "At Thursday's keynote presentation of the Tokyo Game Show, Nintendo president Satoru Iwata "
     "unveiled the controller design for the company's new Nintendo Revolution console."),
    (533,
     'Slaaponderbreking houdt in dat je met een reden wakker wordt tijdens je normale slaapperiode en '
     'dat je binnen korte tijd (10–60 minuten) weer in slaap valt.',
     'Sleep interruption is the process of purposefully awakening during your normal sleep period and '
     'falling asleep a short time later (10–60 minutes).'),
    (554,
     "Het schijnt dat de geitjes zo'n 10.000 jaar terug voor de eerste keer zijn gedomesticeerd in "
     'het Iraanse Zagrosgebergte.',
     'Goats seem to have been first domesticated roughly 10,000 years ago in the Zagros Mountains of '
     'Iran.'),
    (562,
     'De eerste vorm van transport die we kennen is lopen. Mensen begonnen twee miljoen jaar geleden '
     'rechtop te lopen toen de Homo Erectus opkwam (dat betekent rechtopstaande man).',
     'The first known transportation was walking, humans began walking upright two million years ago '
     'with the emergence of Homo Erectus (meaning upright man).'),
    (569,
     'Er werden gedurende de nacht tussen de 150 en 200 exemplaren gemaakt. Deze staan nu beter '
     "bekend als 'Dunlap broadsides'.",
     'Through the night between 150 and 200 copies were made, now known as "Dunlap broadsides".'),
    (571,
     'Eén exemplaar werd op 6 juli naar George Washington verstuurd en op 9 juli in New York aan '
     'diens troepen voorgelezen. Een ander exemplaar arriveerde op 10 augustus in Londen.',
     'One was sent to George Washington on July 6, who had it read to his troops in New York on July '
     '9. A copy reached London on August 10.'),
    (614,
     'Helaas is het lastig om de verkeersstroom te onderzoeken, omdat het gedrag van bestuurders niet '
     'met 100% zekerheid voorspeld kan worden.',
     'Unfortunately, studying traffic flow is difficult because driver behavior cannot be predicted '
     'with one-hundred percent certainty.'),
    (627,
     'Zeker 20% van al het water dat via de rivieren de zee instroomt, komt uit de Amazone.',
     "A full 20 percent of the water that pours out of the planet's rivers into the oceans comes from "
     'the Amazon.'),
    (628,
     'De hoofdstroom van de Amazonerivier is 6.387 kilometer (3.980 mijl) lang. Het water is '
     'afkomstig uit duizenden kleinere rivieren.',
     'The main Amazon River is 6,387 km (3,980 miles). It collects water from thousands of smaller '
     'rivers.'),
    (651,
     'De korst is circa 70 km dik aan de dichtstbijzijnde kant en 100 km dik aan de andere kant.',
     'The crust is about 70 km thick on the near side and 100 km thick on the far side.'),
    (723,
     '19.500 vierkante kilometer groot is het park, onderverdeeld in 14 verscheidene eco-zones, waar '
     'diverse wilde diersoorten worden gehouden.',
     'The park covers 19,500 km² and is divided in 14 different ecozones, each supporting different '
     'wildlife.'),
    (736,
     'De Sundarbans zijn sinds 1966 een wildreservaat en in het gebied bevinden zich nu naar '
     'schatting 400 Bengaalse tijgers en ongeveer 30.000 axisherten.',
     'Since 1966 the Sundarbans have been a wildlife sanctuary, and it is estimated that there are '
     'now 400 Royal Bengal tigers and about 30,000 spotted deer in the area.'),
    (742,
     'De twee torens hebben een hoogte van 83 meter. Het gebouw heeft een lengte van 378 meter en '
     'heeft twee doorgangen met een breedte van 3,50 meter.',
     "The two towers rise to a height of 83 meters, it's 378 meters long and it has two lanes of 3.50 "
     'm wide.'),
    (744,
     'Volgens de planning is de brug volledig operationeel in september 2017. Naar verwachting zijn '
     'de Braziliaanse douaneposten dan klaar voor gebruik.',
     'The bridge is scheduled to be fully operational in September 2017, when the Brazilian customs '
     'checkpoints are expected to be finished.'),
    (768,
     'De hoofdstad van Samoa is Apia en de stad met bijna 40.000 inwoners ligt op het eiland Upolu.',
     'Apia is the capital of Samoa. The town is on the island of Upolu and has a population of just '
     'under 40,000.'),
    (812,
     'De Paralympics zijn van 24 augustus tot 5 september 2021. Sommige onderdelen worden op andere '
     'locaties in Japan gespeeld.',
     'The Paralympics will take place from 24 August to 5 September 2021. Some events will be held in '
     'other locations throughout Japan.'),
    (816,
     'Naar verwachtingen kosten de meeste kaartjes voor evenementen tussen ¥ 2.500 en ¥ 130.000. '
     'Normale kaartjes gaan rond ¥ 7.000 kosten.',
     "It's expected that most event tickets will cost between ¥2,500 and ¥130,000, with typical "
     'tickets costing around ¥7,000.'),
    (839,
     'De Indonesische keuken omvat gerechten uit 17.000 eilanden en is een overkoepelend begrip voor '
     'een variëteit aan regionale keukens uit het hele land.',
     'With 17,000 islands to choose from, Indonesian food is an umbrella term covering a vast variety '
     'of regional cuisines found across the nation.'),
    (852,
     'Het begin van de skisport dateert op zijn minst uit de 17e eeuw en in 1861 werd het eerste '
     'recreatieve skioord in Australië geopend door Noren.',
     'Downhill skiing as a sport goes back to at least the 17th century, and in 1861 the first '
     'recreational ski club was opened by Norwegians in Australia.'),
    (903,
     'De Zuidelijke Shetlandeilanden werden in 1819 ontdekt en zijn sindsdien door verschillende '
     'landen opgeëist. Ze hebben de meeste bases, met zestien actief in 2020.',
     'South Shetland Islands, discovered in 1819, are claimed by several nations and have the most '
     'bases, with sixteen active in 2020.'),
    (942,
     'İzmir is de op twee na grootste stad in Turkije met ongeveer 3,7 miljoen inwoners, de grootste '
     'haven naast Istanbul en een goed verkeersknooppunt.',
     'İzmir is the third largest city in Turkey with a population of around 3.7 million, the second '
     'biggest port after Istanbul, and a very good transport hub.'),
    (949,
     'Scotturb-bus 403 rijdt geregeld naar Sintra, met een tussenstop in Cabo da Roca.',
     'Scotturb Bus 403 travels regularly to Sintra, stopping at Cabo da Roca.'),
    (985,
     'Hanami is het aanschouwen van kersenbloesem en dit hoort al sinds de 8e eeuw bij de Japanse '
     'cultuur.',
     'Cherry blossom viewing, known as hanami, has been a part of Japanese culture since the 8th '
     'century.'),
]


@pytest.mark.parametrize(("line", "dutch", "english"), FLORES_AGREE, ids=[str(p[0]) for p in FLORES_AGREE])
def test_flores_pairs_whose_numbers_and_names_agree_have_no_findings(line: int, dutch: str, english: str) -> None:
    assert check_translation(dutch, english, line) == []


# (dutch, english, kind, source, output, detail): one reference changed by hand, or a constructed trap.
ONE_FINDING = [
    # FLORES 102 with one number changed in the reference
    ("De satellieten, die beide meer dan 1.000 pond wogen en zich met ongeveer 17.500 mijl per uur "
     "voortbewogen, kwamen 491 mijl boven aarde in botsing.",
     "The satellites, both of which weighed in excess of 1,000 pounds, and traveling at approximately 1,750 "
     "miles per hour, collided 491 miles above the Earth.",
     "number", "17.500", "1,750", "number changed: 17500 in the source, 1750 in the translation"),
    # FLORES 942: "3,7 miljoen" scaled
    ("İzmir is de op twee na grootste stad in Turkije met ongeveer 3,7 miljoen inwoners.",
     "İzmir is the third largest city in Turkey with a population of around 37 million.",
     "number", "3,7 miljoen", "37 million",
     "number changed: 3700000 in the source, 37000000 in the translation"),
    # FLORES 137: a year dropped
    ("De seizoensgebonden overstromingen kwamen tot een einde na de bouw van de dam in 1963.",
     "After the dam was built, the seasonal floods were halted.",
     "number", "1963", "", "number missing: 1963 is not in the translation"),
    # FLORES 118: a number added
    ("Hij produceerde meer dan 1000 postzegels voor Zweden.",
     "He produced over 1,000 stamps for Sweden and 28 other countries.",
     "number", "", "28", "number added: 28 is not in the source"),
    # FLORES 20: a name changed
    ("De film met Ryan Gosling en Emma Stone in de hoofdrollen werd voor alle belangrijke categorieën "
     "genomineerd.",
     "The movie, featuring Ryan Gosling and Emma Watson, received nominations in all major categories.",
     "name", "Emma Stone", "", "name missing: Stone of Emma Stone not in the translation"),
    # FLORES 8: an acronym dropped
    ("Eind 2017 was Siminoff te zien op teleshoppingkanaal QVC.",
     "In late 2017, Siminoff appeared on a shopping television channel.",
     "name", "QVC", "", "acronym missing: QVC is not in the translation"),
    # the thousands-separator trap: Dutch 5.200 is five thousand two hundred
    ("De gemeente telt 5.200 inwoners.", "The municipality has 5.2 inhabitants.",
     "number", "5.200", "5.2", "number changed: 5200 in the source, 5.2 in the translation"),
    ("Het tekort is 3,5 miljoen euro.", "The deficit is 35 million euros.",
     "number", "3,5 miljoen", "35 million", "number changed: 3500000 in the source, 35000000 in the translation"),
    ("De vergadering begint om 12.30 uur.", "The meeting starts at 1:30 pm.",
     "number", "12.30 uur", "1:30 pm", "number changed: 12:30 in the source, 01:30 or 13:30 in the translation"),
    ("Het aandeel steeg met 25 procent.", "The share rose by 35 percent.",
     "number", "25", "35", "number changed: 25 in the source, 35 in the translation"),
    ("Er kwamen zevenhonderd mensen op af.", "Seventy people turned up.",
     "number", "zevenhonderd", "Seventy", "number changed: 700 in the source, 70 in the translation"),
    ("Het adres is Stationsplein 12, 5211 AP 's-Hertogenbosch.", "The address is Stationsplein 12, 5211 AP Den Bosch.",
     "name", "'s-Hertogenbosch", "", "name missing: Hertogenbosch of 's-Hertogenbosch not in the translation"),
    ("Gisteren sprak burgemeester Van der Laan de raad toe.", "Yesterday Mayor Van der Berg addressed the council.",
     "name", "Van der Laan", "", "name missing: Laan of Van der Laan not in the translation"),
    ("De Canadese minister Kenneth McKenzie reageerde niet.", "Canadian minister Kenneth Mackenzie did not respond.",
     "name", "Kenneth McKenzie", "", "name missing: McKenzie of Kenneth McKenzie not in the translation"),
    ("Volgens Annegret Kramp-Karrenbauer is dat onjuist.", "According to Annegret Karrenbauer that is wrong.",
     "name", "Annegret Kramp-Karrenbauer", "",
     "name missing: Kramp of Annegret Kramp-Karrenbauer not in the translation"),
    ("Strijders van IS vielen de stad aan.", "Fighters attacked the city.",
     "name", "IS", "", "acronym missing: IS is not in the translation"),
    ("Bel het nummer 020-1234567 voor meer informatie.", "Call 020-1234568 for more information.",
     "number", "020-1234567", "020-1234568",
     "number changed: tel:0201234567 in the source, tel:0201234568 in the translation"),
]


@pytest.mark.parametrize(("dutch", "english", "kind", "source", "output", "detail"), ONE_FINDING,
                         ids=[p[3] or p[4] for p in ONE_FINDING])
def test_one_change_gives_exactly_one_finding(dutch: str, english: str, kind: str, source: str, output: str,
                                              detail: str) -> None:
    assert check_translation(dutch, english, 3) == [Finding("translate", kind, 3, source, output, detail)]


AGREE = [
    ("De gemeente telt 5.200 inwoners.", "The municipality has 5,200 inhabitants."),
    ("De gemeente telt 5200 inwoners.", "The municipality has 5,200 inhabitants."),
    ("De groei was 5.2 procent.", "Growth was 5.2 percent."),  # a Dutch dot before one digit: a decimal
    ("De groei was 3,5 procent.", "Growth was 3.5%."),
    ("Het kostte 1.000.000 euro.", "It cost 1,000,000 euros."),
    ("Het kostte 1.000.000 euro.", "It cost €1 million."),
    ("Het tekort is 3,5 miljoen euro.", "The deficit is 3.5 million euros."),
    ("Het tekort is 3,5 miljoen euro.", "The deficit is €3,500,000."),
    ("Het bedrijf haalde € 1,2 miljoen op.", "The company raised €1.2 million."),
    ("Het bedrijf verloor 2,4 miljard euro.", "The company lost €2.4bn."),
    ("De vergadering begint om 12.30 uur.", "The meeting starts at 12:30."),
    ("De vergadering begint om 12.30 uur.", "The meeting starts at 12.30 pm."),
    ("De trein vertrekt om 14.15 uur.", "The train leaves at 2:15 p.m."),
    ("Het aandeel steeg met 25 procent.", "The share rose by 25%."),
    ("Het aandeel steeg met 25%.", "The share rose by 25 percent."),
    ("Het rapport dateert van 2020-09.", "The report dates from September 2020."),
    ("Het rapport dateert van september 2020.", "The report dates from 2020-09."),
    ("Op 15 maart 2021 vonden de verkiezingen plaats.", "The elections were held on March 15, 2021."),
    ("Er kwamen zevenhonderd mensen op af.", "Seven hundred people turned up."),
    ("Er kwamen zevenhonderd mensen op af.", "700 people turned up."),
    ("Hij werd eenentwintig jaar.", "He turned 21."),
    ("In het jaar tweeduizend veranderde alles.", "In the year two thousand everything changed."),
    ("Er waren vijftig deelnemers.", "There were fifty participants."),
    ("Er vielen drie doden.", "Three people died."),
    ("Bel 020-1234567 of 06-12345678.", "Call 020-1234567 or 06-12345678."),
    ("Bel +31 20 123 4567 voor informatie.", "Call 020 123 4567 for information."),
    ("Het adres is Stationsplein 12, 5211 AP 's-Hertogenbosch.",
     "The address is Stationsplein 12, 5211 AP 's-Hertogenbosch."),
    ("Gisteren sprak burgemeester Van der Laan de raad toe.", "Yesterday Mayor Van der Laan addressed the council."),
    ("Eberhard van der Laan was burgemeester van Amsterdam.", "Eberhard van der Laan was mayor of Amsterdam."),
    ("Op maandag sprak Mark Rutte in Den Haag met de Verenigde Staten.",
     "On Monday Mark Rutte spoke with the United States in The Hague."),
    ("De Canadese minister Kenneth McKenzie reageerde niet.", "Canadian minister Kenneth McKenzie did not respond."),
    ("Volgens Annegret Kramp-Karrenbauer is dat onjuist.", "According to Annegret Kramp-Karrenbauer that is wrong."),
    ("Strijders van IS vielen de stad aan.", "IS fighters attacked the city."),
    ("De VS en de NAVO reageerden.", "The US and NATO responded."),
    ("De Koude Oorlog eindigde in Noord-Korea nooit.", "The Cold War never ended in North Korea."),
    ("In de 21e eeuw groeide de stad.", "In the 21st century the city grew."),
    ("In de 12e eeuw nam de macht af.", "Its power declined in the twelfth century."),
    ("Een van de twee mannen was 64 jaar.", "One of the two men was 64."),
]


@pytest.mark.parametrize(("dutch", "english"), AGREE)
def test_constructed_pairs_that_agree_have_no_findings(dutch: str, english: str) -> None:
    assert check_translation(dutch, english) == []


def test_number_values_are_read_by_each_languages_convention() -> None:
    assert [sorted(m.values) for m in dutch_numbers("5.200, 3,5, 1.000.000 en 5.2")] == [
        ["5200"], ["3.5"], ["1000000"], ["5.2"]]
    assert [sorted(m.values) for m in english_numbers("5,200, 3.5, 1,000,000 and 5,2")] == [
        ["5200"], ["3.5"], ["1000000"], ["5.2"]]
    assert [sorted(m.values) for m in dutch_numbers("om 12.30 uur, 3,5 miljoen, zevenhonderd")] == [
        ["t12:30"], ["3500000"], ["700"]]


def test_findings_are_records_and_the_parts_can_run_alone() -> None:
    (finding,) = check_numbers("Er waren 12 doden.", "There were 13 dead.", sentence=4)
    assert finding.to_dict() == {"stage": "translate", "kind": "number", "sentence": 4, "source": "12",
                                 "output": "13", "detail": "number changed: 12 in the source, 13 in the translation"}
    assert check_names("Er waren 12 doden.", "There were 13 dead.") == []


def test_check_translation_is_exported_lazily_from_beknopt() -> None:
    import beknopt

    assert beknopt.check_translation is check_translation
    assert "check_translation" in beknopt.__all__


@pytest.mark.slow
def test_importing_the_checks_does_not_import_torch() -> None:
    code = ("import sys, beknopt.checks, beknopt\nbeknopt.check_translation('a', 'b')\n"
            "print(sorted(m for m in ('torch', 'transformers', 'beknopt.pipeline') if m in sys.modules))")
    assert fresh_python(code).stdout.strip() == "[]"


def test_flores_false_flags_and_caught_changes_stay_within_the_targets() -> None:
    from beknopt.eval.check_flores import CAUGHT_TARGET, FALSE_FLAG_TARGET, load_pairs, measure

    result = measure(load_pairs(200), seed=0)
    assert result.pairs == 200 and result.altered == 20
    assert result.false_flag_rate <= FALSE_FLAG_TARGET, result.flagged_ids
    assert result.caught_rate >= CAUGHT_TARGET, result.missed
