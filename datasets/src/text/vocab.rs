//! The words the site's members wrote, per language, most frequent first.
//! Each list is one string of words separated by spaces (or, for phrases,
//! by `|`), split once on first use.

/// Finnish: the site's main language.
pub const FI_WORDS: &str = "ja on että en se ei mutta kun niin myös olen oli sinä minä me \
    te he tai jos vaan vielä nyt sitten kyllä joo no ihan tosi aika vähän paljon hyvin \
    aina joskus usein koska mitä miten missä milloin kuka mikä mä sä mulla sulla mun sun \
    meillä teillä tänään huomenna eilen illalla aamulla viikonloppuna perjantaina lauantaina \
    sunnuntaina kesällä talvella keväällä syksyllä kotona töissä kaupungilla mökillä \
    kahville kahvilla elokuviin elokuva lenkille lenkillä sauna saunaan järvi järvellä \
    meri merellä metsä metsässä mökki kesä talvi kevät syksy koira kissa ruoka ruokaa \
    syömään kokata kokkaan leipoa musiikki musiikkia keikka keikalle konsertti konserttiin \
    kirja kirjoja lukea luen matkustaa matkustan matka reissu reissussa ulkomailla Lapissa \
    hiihtää hiihtämään luistella pyöräillä uida uimassa kävellä kävelylle tanssia tanssimaan \
    laulaa pelata jalkapalloa jääkiekkoa salibandya kuntosalilla salilla joogaa \
    kiva kivaa mukava mukavaa hauska hauskaa ihana ihanaa kaunis komea söpö rento rauhallinen \
    iloinen pirteä huumorintajuinen rehellinen luotettava sosiaalinen ujo utelias \
    haluaisin haluaisitko voisin voisitko voitaisiin lähteä lähdetään nähdä nähdään tavata \
    tavataan jutella juteltaisiin kirjoittaa kirjoitit vastata vastasit kysyä kysyisin \
    tykkään tykkäätkö pidän pidätkö rakastan harrastan harrastatko asun asutko teen teetkö \
    olisi olisit oletko olisitko onko oliko tuli tulee tulisitko menen menisitkö mennään \
    ajattelin ajattelitko luulen toivottavasti ehkä varmasti ainakin melkein oikeastaan \
    ystävä ystäviä kaveri kavereiden perhe lapset lapsi työ työt työpaikka opiskelen \
    opiskelija koulu yliopisto ammatti insinööri hoitaja opettaja kokki myyjä yrittäjä \
    profiili profiilisi kuva kuvasi kuvat hymy hymysi silmät viesti viestisi viestiä \
    sydän rakkaus ihastus treffit treffeille suhde parisuhde seuraa seuralainen kumppani \
    aikaa hetki hetken päivä päivää viikko viikon kuukausi vuosi vuotta kello klo \
    sää sataa aurinko paistaa lunta pakkasta lämmin kylmä";

pub const FI_OPENERS: &str = "Hei!|Moi!|Moikka!|Hei hei!|Terve!|Moi moi!|Heippa!|\
    Hyvää huomenta!|Hyvää iltaa!|Kiitos viestistä!|Kiitos vastauksesta!|Hei vaan!|\
    Anteeksi että vastaan vasta nyt.|Moi taas!|Heissan!";

pub const FI_REPLIES: &str = "ok|joo|juu|kiitos!|kiitti|haha|hahaha|😂|😊|❤️|moi|\
    nähdään!|ok 😊|joo käy|sopii!|kiva!|ihanaa!|no niin|totta|aivan|hyvä idea|\
    en tiedä|ehkä|heh|oot ihana|hyvää yötä|öitä 😘|huomenta!|samoin!|kiitos samoin";

pub const FI_QUESTIONS: &str = "Mitä kuuluu?|Mitä teet viikonloppuna?|Missä asut?|\
    Mitä harrastat?|Lähdetäänkö kahville?|Oletko ollut täällä kauan?|Mitä teet työksesi?|\
    Mikä on lempiruokasi?|Tykkäätkö matkustaa?|Onko sulla lemmikkejä?|Milloin sulle sopisi?|\
    Millaista musiikkia kuuntelet?|Kävisitkö elokuvissa?|Miten päiväsi meni?";

pub const FI_ABOUT: &str = "Olen|Harrastan|Etsin|Tykkään|Asun|Rakastan|Työskentelen|\
    Vapaa-ajallani|Toivon löytäväni|Arvostan|En tykkää|Minulla on|Haaveilen|\
    Olen kotoisin|Ystäväni sanovat että olen";

pub const FI_SUBJECTS: &str = "Hei|Moi|Terveisiä|Kahville?|Kiva profiili|Sinun kuvasi|\
    Viikonloppu|Treffit|Kysymys|Hei sinä|Tervehdys|Moikka vaan|Kiitos|Elokuviin?|\
    Lenkille?|Mitä kuuluu|Iltaa|Kesäterveiset";

pub const FI_NOTES: &str = "Kiva hymy!|Ihana kuva 😊|Moikka!|Hei sinä 😉|Olet söpö|\
    Kahville joskus?|Kiva profiili!|Vastaisitko?|Hymyilytti|Terveisiä|Ihanat silmät|\
    Jutellaanko?|Hei naapuri!|Kaunis päivä sinullekin 🌞";

/// Swedish: Finland-Swedes and the Swedish side of the site.
pub const SV_WORDS: &str = "och att det är jag du inte som en på med för har men så vi \
    till av om kan vill ska var hur vad när där här nu bara också lite mycket väldigt \
    jätte gärna kanske verkligen alltid ibland ofta idag imorgon igår ikväll imorse \
    helgen fredag lördag söndag sommar vinter vår höst hemma jobbet stan stugan \
    fika fikar kaffe middag mat laga lagar baka film bio konsert musik bok böcker läsa \
    resa reser resan semester utomlands fjällen skärgården havet sjön skogen promenad \
    promenera springa simma cykla dansa sjunga spela fotboll hockey gymmet yoga \
    trevlig trevligt rolig roligt härlig härligt snäll fin fint vacker söt glad lugn \
    ärlig social nyfiken blyg äventyrlig romantisk humor \
    skulle träffas ses prata pratar skriva skrev svara \
    svarade fråga gillar älskar tycker tror hoppas bor jobbar pluggar \
    vänner familj barn hund katt jobb skola universitet sjuksköterska lärare ingenjör \
    profil profilen bild bilden leende ögon meddelande hjärta kärlek dejt förhållande \
    sällskap tid stund dag dagar vecka månad år klockan kl väder sol regn snö varmt kallt";

pub const SV_OPENERS: &str = "Hej!|Hejsan!|Hej hej!|Tjena!|God morgon!|God kväll!|\
    Tack för meddelandet!|Tack för svaret!|Hallå!|Förlåt att jag svarar sent.|Hej igen!";

pub const SV_REPLIES: &str = "ok|ja|japp|tack!|haha|😂|😊|❤️|hej|vi ses!|låter bra!|\
    gärna!|fint!|okej 😊|kanske|vet inte|sov gott|god natt 😘|godmorgon!|detsamma!";

pub const SV_QUESTIONS: &str = "Hur mår du?|Vad gör du i helgen?|Var bor du?|\
    Vad har du för intressen?|Ska vi ta en fika?|Vad jobbar du med?|Gillar du att resa?|\
    Har du husdjur?|När passar det dig?|Vilken musik gillar du?|Hur var din dag?";

pub const SV_ABOUT: &str = "Jag är|Jag gillar|Jag söker|Jag bor|Jag älskar|Jag jobbar|\
    På fritiden|Jag hoppas hitta|Jag uppskattar|Jag har|Jag drömmer om|Mina vänner säger att jag är";

pub const SV_SUBJECTS: &str = "Hej|Hejsan|Hälsningar|Fika?|Fin profil|Din bild|Helgen|\
    Dejt|En fråga|Hej du|Tack|Bio?|Promenad?|Hur mår du";

pub const SV_NOTES: &str = "Fint leende!|Härlig bild 😊|Hej du 😉|Du är söt|Fika någon gång?|\
    Fin profil!|Svara gärna|Hälsningar|Vackra ögon|Ska vi prata?";

/// English: the site's international members.
pub const EN_WORDS: &str = "the and I to you a it is that of in my for me on but so have \
    be are was with just do not what like would really too very much some this your at \
    about when where how maybe love nice good great fun happy sweet lovely kind honest \
    funny shy curious adventurous relaxed today tomorrow tonight yesterday weekend friday \
    saturday sunday summer winter spring autumn home work town cottage coffee dinner \
    lunch food cook cooking bake movie movies cinema concert music book books read \
    travel travelling trip holiday abroad mountains lake sea forest beach walk walking \
    run running swim cycling dance dancing sing play football hockey gym yoga sauna \
    meet meeting talk chat write wrote reply asked think hope live living working \
    studying friends family kids dog cat job school university nurse teacher engineer \
    profile picture photo smile eyes message heart date relationship company time \
    moment day days week month year weather sun rain snow warm cold";

pub const EN_OPENERS: &str = "Hi!|Hello!|Hey!|Hi there!|Good morning!|Good evening!|\
    Thanks for your message!|Thank you for the reply!|Sorry for the late reply.|Hey again!";

pub const EN_REPLIES: &str = "ok|yes|sure|thanks!|haha|lol|😂|😊|❤️|hi|see you!|\
    sounds good!|great!|ok 😊|maybe|not sure|good night 😘|morning!|you too!";

pub const EN_QUESTIONS: &str = "How are you?|What are you doing this weekend?|\
    Where do you live?|What are your hobbies?|Coffee sometime?|What do you do for work?|\
    Do you like travelling?|Do you have pets?|When would suit you?|How was your day?";

pub const EN_ABOUT: &str = "I am|I like|I am looking for|I live|I love|I work|\
    In my free time|I hope to find|I value|I have|I dream of|My friends say I am";

pub const EN_SUBJECTS: &str = "Hi|Hello|Greetings|Coffee?|Nice profile|Your photo|\
    Weekend|Date|A question|Hey you|Thanks|Movie?|Hello from Finland";

pub const EN_NOTES: &str = "Lovely smile!|Nice photo 😊|Hi there 😉|You are cute|\
    Coffee sometime?|Nice profile!|Write back?|Greetings|Beautiful eyes|Want to chat?";

/// Emoji and smileys, as members put them between words.
pub const EMOJI: &str =
    "😊 😀 😍 ❤️ 🌹 😉 🥂 ✨ ☕ 🙂 😂 😘 🤗 🌞 🎶 🍷 💕 👍 😅 🙈 :) :D ;) <3 xD";
