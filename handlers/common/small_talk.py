"""Typed messages that are not a search or an answer: a greeting ("안녕", "hi"), thanks
("고마워요!", "thanks") or a request for help ("도와주세요", "뭐 할 수 있어?", "what can you
do"), in the words students actually type (the search area answers them with a menu or a
short reply, onboarding with its question again).

Such a message must get a short menu, not "no programme matches “안녕”". A message is small
talk only when all of it is greetings, requests for help and filler ("저기요", "좀", "ㅎㅎ",
"please"): "안녕 방송" is still a search, and so is "하이브" (not "하이" + something). Spaces and
punctuation are ignored ("뭐 할 수 있어?" = "뭐할수있어").
"""

from __future__ import annotations

import re
import unicodedata

# Greetings, as one compact run of letters (lowercase, no spaces).
_GREETING = (
    r"안녕(?:하세(?:요|여|용)|하십니까|하신가요|하심까|하셨어요)?|안뇽|안냥|하이루?|하잉|"
    r"헬로우?|ㅎㅇ|ㅎ2|반가(?:워|워요|워용|웡)|반갑(?:습니다|네요|다)|방가(?:방가)?|"
    r"여보세요|저기요|굿모닝|좋은아침(?:이에요|입니다)?|처음(?:이에요|이야|왔어요|뵙겠습니다)|"
    r"hello|hiya|hi|hey|heya|yo|howdy|greetings|goodmorning|goodafternoon|"
    r"goodevening|whatsup|sup"
)
# Requests for help and "what can you do / how does this work".
_HELP = (
    # 도와줘, 도와주세요, 도와줄 수 있어요?, 도움, 도움말, 도움이 필요해요
    r"도와(?:줘|줘요|주세요|주세여|줄래|줄래요|주라|주실래요|주실수있나요|줄수있어|줄수있어요|"
    r"줄수있나요|주십시오|주시겠어요)|도움(?:말|이필요해|이필요해요|이필요합니다|필요해|필요|요)?|"
    r"헬프|"
    # 뭐 할 수 있어?, 뭘 할 수 있나요, 무엇을 도와줄 수 있어, 넌 뭐 해 줄 수 있어
    r"(?:여기서|이거로|이걸로|이거|여기|너는|넌|너|얘는|이봇은|이봇으로)?"
    r"(?:뭐|뭘|뭐를|무엇을|무얼|무엇|어떤거|어떤걸|어떤것을)"
    r"(?:할|해줄|도와줄|해볼|물어볼|찾을|볼)수(?:가)?(?:있|있어|있어요|있나요|있니|있냐|있음|"
    r"있는데|있는지|있을까|있을까요|있습니까|있죠|있지|있는거야|있는거예요)|"
    # 뭐 해야 돼?, 뭐부터 해?, 뭘 하면 돼요?
    r"(?:뭐|뭘|무엇을)(?:부터)?(?:해야|하면)(?:해|해요|돼|돼요|되나요|하나요|할까요|하지)|"
    # 어떻게 해?, 어떻게 써요?, 어떻게 시작해요?, 어떻게 하는 거예요?
    r"(?:이거|이건|이거는|여기|이봇|이거어)?어떻게(?:해|해요|하나요|하면돼|하면돼요|하면되나요|"
    r"해야해|해야해요|해야돼|해야돼요|하는거야|하는거예요|하는거에요|하는건가요|써|써요|쓰나요|"
    r"쓰는거야|쓰는거예요|사용해|사용해요|사용하나요|사용하는거야|이용해요|이용하나요|시작해|"
    r"시작해요|시작하나요|하지|하죠)|"
    # 사용법, 이용 방법, 쓰는 법, 사용 설명
    r"(?:사용|이용|쓰는|하는)(?:법|방법|설명)|"
    # 모르겠어요, 잘 모르겠어, 뭔지 모르겠어요
    r"(?:잘|뭔지|뭘|어떻게|하나도)?모르겠(?:어|어요|음|네|네요|다|습니다|는데|는데요)|"
    # 이거 뭐야?, 여긴 뭐 하는 곳이에요?, 넌 뭐야, 뭐하는 봇이야
    r"(?:이거|이건|여긴|여기는|여기|이봇은|이봇|너는|넌|너|얘는|진로는)?"
    r"(?:뭐야|뭐예요|뭐에요|뭐임|뭔가요|뭐지|뭐하는거야|뭐하는거예요|뭐하는거에요|뭐하는곳이야|"
    r"뭐하는곳이에요|뭐하는곳인가요|뭐하는봇이야|뭐하는봇이에요|뭐해|뭐해요)|"
    # 메뉴, 기능 알려줘, 명령어 보여 주세요, 설명해 줘, 알려 줘
    r"(?:메뉴|기능|명령어|명령|설명|안내|사용법)(?:을|를|이|가)?(?:좀)?"
    r"(?:보여줘|보여줘요|보여주세요|알려줘|알려줘요|알려주세요|해줘|해주세요|있어|있어요|"
    r"있나요|뭐야|뭐예요|뭐있어|뭐있어요)?|"
    r"(?:좀)?(?:알려줘|알려줘요|알려주세요|설명해줘|설명해주세요)|"
    r"시작(?:할래|할게요|해요|하기)?|처음부터|"
    # English: help (me/please), I need help, what can you/I do (here), how does this work,
    # how do I use this, what is this, menu, commands
    r"help|helpme|ineedhelp|needhelp|canyouhelp(?:me)?|"
    r"what(?:can|could)(?:you|u|i)do(?:here|forme)?|whatdoyoudo|"
    r"how(?:does|do)(?:this|it)work|howdoi(?:use|start)(?:this|it)?|howtouse(?:this|it)?|"
    r"how(?:does)?thiswork|whatisthis|whatsthis|whatareyou|menu|commands|options|start"
)
# Thanks, as people type it after being helped ("고마워요!", "감사합니다", "thanks!", "ㄳ").
_THANKS = (
    r"고마워(?:요|용|여)?|고맙(?:습니다|네요|다|어요)|고마웠어요|감사(?:합니다|해요|했습니다|"
    r"드려요|드립니다|하다|감사)?|감삼다|캄사|ㄳ|ㄱㅅ|ㄱㅅㄱㅅ|땡큐|땡스|쌩큐|"
    r"thank(?:s|you|u|ya)?(?:so|very)?(?:much|alot|lots)?|thx|tnx|tysm|cheers"
)
# Words around a greeting or a request that change nothing: addressing the bot, softeners,
# laughter and sighs.
_FILLER = (
    r"저기|저|혹시|좀|요|네|음|어|아|님|진로봇|진로야|봇아|봇|챗봇|jinro|bot|please|pls|plz|"
    r"there|everyone|all|again|ㅎ|ㅋ|ㅠ|ㅜ|ㅇㅇ"
)
_SMALL_TALK = re.compile(rf"(?:{_GREETING}|{_HELP}|{_FILLER})+")
_GREETING_ONLY = re.compile(rf"(?:{_GREETING}|{_FILLER})+")
_FILLER_ONLY = re.compile(rf"(?:{_FILLER})+")
_THANKS_ALL = re.compile(rf"(?:{_THANKS}|{_GREETING}|{_FILLER})+")
_ANY_THANKS = re.compile(_THANKS)
# Longer than any greeting or request: a search (and no long text reaches the patterns).
_LONGEST = 40
_LETTERS = re.compile(r"[^0-9a-z가-힣ㄱ-ㅎㅏ-ㅣ]")


def _compact(text: str) -> str:
    """The letters and digits of `text`, lowercase, without spaces or punctuation."""
    return _LETTERS.sub("", unicodedata.normalize("NFC", text).lower().replace("'", ""))


def small_talk(text: str) -> str | None:
    """What `text` is: "greeting" when it only greets, "help" when it asks for help or what
    the bot does (or holds no letter at all: "?", "👋"), "thanks" when it thanks (with a
    greeting or filler: "네 감사합니다"), None for something to search for."""
    compact = _compact(text[: _LONGEST * 4])
    if not compact:
        return "help"
    if len(compact) > _LONGEST:
        return None
    if _GREETING_ONLY.fullmatch(compact) and not _FILLER_ONLY.fullmatch(compact):
        return "greeting"
    if _SMALL_TALK.fullmatch(compact):
        return "help"
    if _THANKS_ALL.fullmatch(compact) and _ANY_THANKS.search(compact):
        return "thanks"
    return None
