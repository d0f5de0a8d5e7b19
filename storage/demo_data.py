"""Deterministic demo data shaped like Goyang's real free-year career-experience programme."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.inspections.result import recheck_by
from storage.models import Mentor, Program, School, Session, Site
from storage.search import index_programs, refresh_next

KST = ZoneInfo("Asia/Seoul")
# Sessions fall on the days today+1 … today+WINDOW_DAYS: exactly 8 of every weekday.
WINDOW_DAYS = 56

# Persona invites of the demo command; each names a row of the data below.
PERSONA_SCHOOL = "정발중학교"
PERSONA_SITE = "MBC ART"
PERSONA_MENTOR = "윤서진"


# ---------------------------------------------------------------- the data classes


@dataclass(frozen=True, slots=True)
class DemoSchool:
    name: str
    district: str
    kind: str  # middle | alternative
    address: str


@dataclass(frozen=True, slots=True)
class DemoSite:
    name: str
    kind: str  # public | company | small_business | university | nonprofit
    district: str
    address: str
    directions: str
    safety_status: str  # passed | needs_fix | pending | failed
    safety_checked_on: date | None
    safety_valid_until: date | None


@dataclass(frozen=True, slots=True)
class DemoProgram:
    external_key: str
    site_name: str
    title: str
    description: str
    type: str
    field: str
    target_grades: str
    district: str
    place: str | None
    directions: str | None
    online: bool
    capacity: int
    schedule_note: str
    hours: int
    fee: int
    bring: str
    notes: str


@dataclass(frozen=True, slots=True)
class DemoSession:
    program_key: str  # the programme's external_key
    starts_at: datetime
    ends_at: datetime
    capacity: int
    cancel_deadline: datetime
    online_url: str | None


@dataclass(frozen=True, slots=True)
class DemoMentor:
    kind: str  # professional | university
    name: str
    field: str
    organization: str
    bio: str
    online: bool


@dataclass(frozen=True, slots=True)
class DemoData:
    schools: tuple[DemoSchool, ...]
    sites: tuple[DemoSite, ...]
    programs: tuple[DemoProgram, ...]
    sessions: tuple[DemoSession, ...]
    mentors: tuple[DemoMentor, ...]


@dataclass(frozen=True, slots=True)
class DemoCounts:
    """Rows inserted per table by one load (all zero when the data was already there)."""

    schools: int = 0
    sites: int = 0
    programs: int = 0
    sessions: int = 0
    mentors: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


# ---------------------------------------------------------------- the tables
# fmt: off

# (name, district, address)
_SCHOOLS = [
    ("화정중학교", "덕양구", "경기도 고양시 덕양구 화중로 120"),
    ("행신중학교", "덕양구", "경기도 고양시 덕양구 행신로 180"),
    ("원당중학교", "덕양구", "경기도 고양시 덕양구 고양대로 1380"),
    ("고양중학교", "덕양구", "경기도 고양시 덕양구 호국로 1420"),
    ("서정중학교", "덕양구", "경기도 고양시 덕양구 충장로 52"),
    ("삼송중학교", "덕양구", "경기도 고양시 덕양구 삼송로 95"),
    ("신일중학교", "덕양구", "경기도 고양시 덕양구 화신로 260"),
    ("정발중학교", "일산동구", "경기도 고양시 일산동구 정발산로 110"),
    ("백석중학교", "일산동구", "경기도 고양시 일산동구 백석로 145"),
    ("풍동중학교", "일산동구", "경기도 고양시 일산동구 숲속마을로 60"),
    ("중산중학교", "일산동구", "경기도 고양시 일산동구 고봉로 385"),
    ("저동중학교", "일산동구", "경기도 고양시 일산동구 견달산로 72"),
    ("대화중학교", "일산서구", "경기도 고양시 일산서구 대화로 214"),
    ("주엽중학교", "일산서구", "경기도 고양시 일산서구 주엽로 88"),
    ("덕이중학교", "일산서구", "경기도 고양시 일산서구 덕이로 130"),
    ("일산중학교", "일산서구", "경기도 고양시 일산서구 일중로 40"),
    ("탄현중학교", "일산서구", "경기도 고양시 일산서구 탄중로 175"),
    ("오마중학교", "일산서구", "경기도 고양시 일산서구 강선로 30"),
]
# The report counts 3 alternative schools in the city; one is enough for the demo.
_ALTERNATIVE_SCHOOL = ("고양자유대안학교", "덕양구", "alternative",
                       "경기도 고양시 덕양구 관산동 240")

# (name, kind, district, address, directions, safety status)
_SITES = [
    ("고양시청 스마트시티지원센터", "public", "덕양구", "경기도 고양시 덕양구 고양시청로 10",
     "3호선 원당역 4번 출구에서 도보 15분, 또는 버스 11·66번 '고양시청' 하차", "passed"),
    ("고양소방서", "public", "덕양구", "경기도 고양시 덕양구 화중로 83",
     "3호선 화정역 3번 출구에서 마을버스 037번 '고양소방서' 하차", "passed"),
    ("일산소방서", "public", "일산동구", "경기도 고양시 일산동구 중앙로 1180",
     "3호선 마두역 3번 출구에서 도보 12분", "passed"),
    ("일산동구보건소", "public", "일산동구", "경기도 고양시 일산동구 중앙로 1228",
     "3호선 마두역 5번 출구에서 도보 7분", "passed"),
    ("일산서구보건소", "public", "일산서구", "경기도 고양시 일산서구 일중로 54 별관",
     "3호선 주엽역 2번 출구에서 버스 200번 '일산서구청' 하차 후 도보 3분", "passed"),
    ("국립암센터", "public", "일산동구", "경기도 고양시 일산동구 일산로 323",
     "3호선 마두역 1번 출구에서 버스 80번 '국립암센터' 하차", "passed"),
    ("덕양구청", "public", "덕양구", "경기도 고양시 덕양구 고양대로 1955",
     "3호선 원흥역 3번 출구에서 도보 10분", "passed"),
    ("일산서구청", "public", "일산서구", "경기도 고양시 일산서구 일중로 54",
     "3호선 주엽역 2번 출구에서 버스 200번 '일산서구청' 하차", "passed"),
    ("고양시 농업기술센터", "public", "덕양구", "경기도 고양시 덕양구 원당로 33",
     "3호선 원당역 2번 출구에서 버스 041번 '농업기술센터' 하차", "passed"),
    ("고양경찰서", "public", "덕양구", "경기도 고양시 덕양구 원당로 15",
     "3호선 원당역 1번 출구에서 도보 5분", "passed"),
    ("고양시 환경교육센터", "public", "일산동구", "경기도 고양시 일산동구 호수로 731",
     "3호선 정발산역 2번 출구에서 일산호수공원 방향 도보 10분", "passed"),
    ("MBC ART", "company", "일산동구", "경기도 고양시 일산동구 MBC 드림센터 별관",
     "3호선 정발산역 1번 출구에서 도보 15분, 버스 1000번 'MBC 드림센터' 하차", "passed"),
    ("(주)한빛바이오랩", "company", "일산동구",
     "경기도 고양시 일산동구 동국로 32 바이오메디캠퍼스 창업보육센터 3층",
     "경의중앙선 풍산역 1번 출구에서 버스 82번 '동국대병원' 하차 후 도보 5분", "passed"),
    ("(주)그린셀바이오", "company", "일산서구", "경기도 고양시 일산서구 킨텍스로 240 7층",
     "GTX-A 킨텍스역 2번 출구에서 도보 8분", "pending"),
    ("킨텍스(KINTEX)", "company", "일산서구", "경기도 고양시 일산서구 킨텍스로 217-60",
     "3호선 대화역 4번 출구에서 도보 15분, GTX-A 킨텍스역에서 도보 10분", "passed"),
    ("(주)로보랩 삼송", "company", "덕양구", "경기도 고양시 덕양구 삼송로 300 B동 5층",
     "3호선 삼송역 8번 출구에서 도보 10분", "passed"),
    ("(주)누리소프트", "company", "덕양구", "경기도 고양시 덕양구 향동로 217 9층",
     "버스 9711번 '향동지구' 하차 후 도보 5분", "passed"),
    ("스튜디오 디자인모아", "company", "일산동구", "경기도 고양시 일산동구 정발산로 31 2층",
     "3호선 정발산역 1번 출구에서 도보 5분", "passed"),
    ("(주)고양스마트팜", "company", "덕양구", "경기도 고양시 덕양구 관산동 512",
     "3호선 삼송역에서 버스 703번 '관산동 농협' 하차 후 도보 7분", "passed"),
    ("동국대학교 참사람사회공헌센터", "university", "일산동구",
     "경기도 고양시 일산동구 동국로 32 바이오메디캠퍼스",
     "경의중앙선 풍산역 1번 출구에서 버스 82번 '동국대병원' 하차", "passed"),
    ("한국항공대학교", "university", "덕양구", "경기도 고양시 덕양구 항공대학로 76",
     "경의중앙선 화전역 1번 출구에서 도보 5분", "passed"),
    ("중부대학교 고양캠퍼스", "university", "덕양구", "경기도 고양시 덕양구 동헌로 305",
     "3호선 원당역 1번 출구에서 버스 022번 '중부대학교' 하차", "passed"),
    ("농협대학교", "university", "덕양구", "경기도 고양시 덕양구 서삼릉길 281",
     "3호선 원당역 2번 출구에서 버스 041번 '농협대학교' 하차", "passed"),
    ("(재)고양국제꽃박람회", "nonprofit", "일산동구", "경기도 고양시 일산동구 호수로 595",
     "3호선 정발산역 2번 출구에서 일산호수공원 방향 도보 12분", "passed"),
    ("고양시청소년재단", "nonprofit", "일산서구", "경기도 고양시 일산서구 주엽로 150",
     "3호선 주엽역 3번 출구에서 도보 8분", "passed"),
    ("고양문화재단 아람누리", "nonprofit", "일산동구", "경기도 고양시 일산동구 중앙로 1286",
     "3호선 정발산역 3번 출구와 바로 연결", "passed"),
    ("(사)고양환경운동연합", "nonprofit", "일산동구",
     "경기도 고양시 일산동구 장항동 장항습지 탐방지원센터",
     "3호선 마두역 2번 출구에서 버스 88번 '장항IC' 하차 후 도보 10분", "passed"),
    # The city's network of local small businesses (the report counts 23).
    ("꽃담 플라워", "small_business", "일산서구", "경기도 고양시 일산서구 주엽로 112 1층",
     "3호선 주엽역 1번 출구에서 도보 4분", "passed"),
    ("화정 꽃향기 플라워", "small_business", "덕양구", "경기도 고양시 덕양구 화신로 272 1층",
     "3호선 화정역 2번 출구에서 도보 6분", "passed"),
    ("밀과보리 베이커리", "small_business", "일산동구", "경기도 고양시 일산동구 정발산로 64",
     "3호선 정발산역 1번 출구에서 도보 6분", "passed"),
    ("행신당 제과", "small_business", "덕양구", "경기도 고양시 덕양구 행신로 201",
     "경의중앙선 행신역 2번 출구에서 도보 8분", "passed"),
    ("호수 로스터리 카페", "small_business", "일산동구", "경기도 고양시 일산동구 호수로 672",
     "3호선 정발산역 2번 출구에서 도보 9분", "passed"),
    ("카페 대화동", "small_business", "일산서구", "경기도 고양시 일산서구 대화로 301",
     "3호선 대화역 3번 출구에서 도보 5분", "failed"),
    ("헤어살롱 라온", "small_business", "일산서구", "경기도 고양시 일산서구 중앙로 1437 2층",
     "3호선 주엽역 4번 출구에서 도보 3분", "passed"),
    ("뷰티스튜디오 봄", "small_business", "덕양구", "경기도 고양시 덕양구 화중로 104 3층",
     "3호선 화정역 4번 출구에서 도보 2분", "passed"),
    ("나무숲 목공방", "small_business", "덕양구", "경기도 고양시 덕양구 충장로 118",
     "경의중앙선 행신역 1번 출구에서 마을버스 032번 '서정마을' 하차", "passed"),
    ("흙담 도자기공방", "small_business", "일산동구", "경기도 고양시 일산동구 무궁화로 43",
     "3호선 마두역 2번 출구에서 도보 10분", "needs_fix"),
    ("빛담 사진관", "small_business", "일산서구", "경기도 고양시 일산서구 탄중로 210",
     "경의중앙선 탄현역 1번 출구에서 도보 7분", "passed"),
    ("멍냥 펫살롱", "small_business", "일산서구", "경기도 고양시 일산서구 덕이로 88",
     "경의중앙선 탄현역 2번 출구에서 버스 150번 '덕이동' 하차", "pending"),
    ("소소 캔들공방", "small_business", "덕양구", "경기도 고양시 덕양구 삼송로 140 2층",
     "3호선 삼송역 5번 출구에서 도보 5분", "pending"),
]

# site name -> [(title, type, field, target grades, fee in won, description)].
# The four "고양형 비대면 진로수업" are the city's real online package (see the report).
_PROGRAMS = {
    "고양시청 스마트시티지원센터": [
        ("스마트시티 통합관제센터 견학", "field_trip", "스마트시티", "1,2,3", 0,
         "고양시 곳곳의 CCTV와 교통 신호 정보가 모이는 통합관제센터를 둘러봐요. "
         "관제 요원이 길 잃은 아이를 찾고 사고에 대응하는 방법을 설명해 줘요. "
         "마지막에는 우리 동네에 필요한 스마트 서비스를 하나씩 발표해요."),
        ("공공데이터로 우리 동네 지도 만들기", "job_practice", "스마트시티", "2,3", 0,
         "버스 정류장, 공원, 자전거 보관소 같은 공공데이터를 지도에 올려 보는 "
         "데이터 분석가 체험이에요. "
         "모둠별로 동네의 불편한 점을 데이터로 찾고 해결 아이디어를 정리해요. "
         "컴퓨터는 센터에서 준비해요."),
        ("고양형 비대면 진로수업: 스마트시티", "online", "스마트시티", "1,2,3", 0,
         "스마트시티지원센터 연구원이 화상으로 교실을 찾아가는 수업이에요. "
         "자율주행 버스, 스마트 가로등, 미세먼지 센서가 도시를 어떻게 바꾸는지 "
         "영상과 퀴즈로 배워요. 반 전체가 함께 접속해 질문할 수 있어요."),
    ],
    "고양소방서": [
        ("소방관 직업체험: 119 출동 준비", "field_job", "소방·안전", "1,2,3", 0,
         "출동 벨이 울리면 소방관이 1분 안에 어떻게 준비하는지 따라 해 봐요. "
         "방화복과 헬멧을 입어 보고 소방차에 실린 장비를 하나씩 살펴봐요. "
         "소방관 선생님께 이 직업의 보람과 힘든 점도 들어요."),
        ("심폐소생술(CPR)과 응급처치 배우기", "job_practice", "소방·안전", "1,2,3", 0,
         "실습용 마네킹으로 심폐소생술과 자동심장충격기(AED) 사용법을 배워요. "
         "친구가 쓰러졌을 때 119에 신고하는 방법부터 가슴 압박까지 차례로 연습해요. "
         "끝나면 교육 수료 확인서를 받아요."),
    ],
    "일산소방서": [
        ("소방차와 구조장비 현장견학", "field_trip", "소방·안전", "1,2", 0,
         "고가사다리차, 구조공작차 같은 특수 소방차를 가까이에서 보고 "
         "구조대원의 장비를 만져 봐요. "
         "상황실과 대기실을 둘러보며 24시간 교대 근무가 어떻게 돌아가는지 알아봐요."),
    ],
    "일산동구보건소": [
        ("보건소 사람들: 간호사·임상병리사 직업체험", "field_job", "보건·의료", "2,3", 0,
         "보건소에서 일하는 간호사, 임상병리사, 영양사를 만나 하루 일과를 들어요. "
         "혈압과 체성분을 직접 재 보고 현미경으로 검사 과정을 살펴봐요. "
         "의료 분야로 가려면 어떤 공부를 해야 하는지도 물어볼 수 있어요."),
        ("감염병 예방 탐정단", "job_practice", "보건·의료", "1,2,3", 0,
         "형광 로션과 자외선 램프로 손 씻기 전후의 세균을 눈으로 확인해요. "
         "역학조사관이 되어 가상의 집단 감염이 어디서 시작됐는지 단서를 모아 추리해요."),
    ],
    "일산서구보건소": [
        ("우리 동네 건강지킴이 체험", "field_job", "보건·의료", "1,2,3", 0,
         "금연·비만 예방 상담실과 치과 진료실을 둘러보고 보건소 직원이 하는 일을 알아봐요. "
         "건강 캠페인 포스터를 직접 만들며 주민의 건강을 지키는 공공 의료를 배워요."),
    ],
    "국립암센터": [
        ("병원 속 다양한 직업 탐방", "field_trip", "보건·의료", "2,3", 0,
         "병원에는 의사와 간호사 말고도 방사선사, 약사, 의료정보 관리자 같은 "
         "많은 직업이 있어요. "
         "연구동과 교육 공간을 둘러보며 각 직업이 환자를 위해 하는 일을 알아봐요. "
         "환자가 있는 공간에는 들어가지 않아요."),
        ("의사·간호사와의 진로 대화", "talk", "보건·의료", "2,3", 0,
         "현직 의사와 간호사가 이 직업을 고른 이유와 중학생 때 좋아했던 것을 들려줘요. "
         "미리 질문을 적어 오면 하나씩 답해 줘요."),
    ],
    "덕양구청": [
        ("구청 공무원 하루 체험", "field_job", "공공행정", "1,2,3", 0,
         "민원실과 복지 상담 창구를 돌아보며 공무원이 주민을 위해 하는 일을 알아봐요. "
         "예시 민원 서류로 처리 과정을 따라가 보고, 공무원이 되는 방법도 들어요."),
    ],
    "일산서구청": [
        ("청소년 정책 제안 토론회", "job_practice", "공공행정", "2,3", 0,
         "구청 회의실에서 모둠별로 '우리 학교 앞에 필요한 것'을 정해 정책 제안서를 써요. "
         "담당 공무원이 제안을 듣고 정책이 실제로 만들어지는 과정을 설명해 줘요."),
        ("민원실에서 배우는 행정 서비스", "field_trip", "공공행정", "1,2,3", 0,
         "주민등록증, 여권 같은 민원이 어떻게 처리되는지 민원실을 견학해요. "
         "무인 민원 발급기를 써 보고 주민을 돕는 직업의 의미를 생각해 봐요."),
    ],
    "고양시 농업기술센터": [
        ("도시농업과 스마트팜 체험", "field_job", "환경", "1,2,3", 0,
         "온도와 습도를 센서로 관리하는 스마트팜 온실을 둘러보고 상추 모종을 심어 봐요. "
         "농업 연구사가 기후 변화에 맞서 어떤 작물을 연구하는지 들려줘요."),
        ("화훼 재배 온실 탐방", "field_trip", "화훼", "1,2,3", 0,
         "고양시는 꽃 재배로 유명한 도시예요. "
         "장미와 다육식물을 키우는 온실을 돌아보며 꽃이 시장에 나가기까지의 과정을 알아봐요. "
         "작은 다육 화분 하나를 가져갈 수 있어요."),
    ],
    "고양경찰서": [
        ("과학수사(CSI) 지문 감식 체험", "job_practice", "소방·안전", "2,3", 0,
         "과학수사 요원이 되어 가루와 붓으로 컵에 남은 지문을 찾아내요. "
         "발자국 채취와 증거물 봉인 방법도 배우고 모둠별로 가상의 사건을 풀어요."),
    ],
    "고양시 환경교육센터": [
        ("업사이클링 환경 지킴이", "job_practice", "환경", "1,2,3", 0,
         "버려진 페트병과 현수막으로 쓸모 있는 물건을 만드는 업사이클링 디자이너 체험이에요. "
         "우리가 버린 쓰레기가 어디로 가는지 알아보고 분리배출 방법을 퀴즈로 익혀요."),
        ("기후위기 탐구 캠프", "camp", "환경", "1,2,3", 0,
         "토요일 하루 동안 기후 과학자가 되어 보는 캠프예요. "
         "태양광 자동차를 조립해 달려 보고 우리 집 탄소 발자국을 계산해요. "
         "마지막에는 모둠별로 기후 행동 캠페인을 발표해요."),
    ],
    "MBC ART": [
        ("MBC 방송영상 제작 체험", "job_practice", "방송영상", "1,2,3", 0,
         "실제 방송 스튜디오에서 카메라, 조명, 음향 장비를 직접 다뤄 봐요. "
         "PD, 카메라 감독, 아나운서로 역할을 나눠 1분짜리 뉴스를 찍고 함께 모니터링해요."),
        ("방송 세트 디자인과 미술감독 체험", "field_job", "방송영상", "2,3", 0,
         "드라마와 예능 세트가 만들어지는 작업장을 둘러보고 미술감독이 하는 일을 알아봐요. "
         "작은 모형으로 나만의 방송 세트를 디자인해 발표해요."),
        ("방송 분장·특수분장 체험", "job_practice", "방송영상", "1,2,3", 0,
         "드라마 속 상처와 노인 분장이 어떻게 만들어지는지 분장사에게 배워요. "
         "손등에 가짜 상처를 만들어 보고 방송 분장사가 되는 길을 들어요."),
        ("고양형 비대면 진로수업: 방송영상", "online", "방송영상", "1,2,3", 0,
         "MBC ART 제작진이 화상으로 방송이 만들어지는 과정을 보여 줘요. "
         "스마트폰으로 짧은 영상을 찍고 편집하는 요령을 배워요. "
         "반 친구들과 결과물을 함께 나눠요."),
    ],
    "(주)한빛바이오랩": [
        ("바이오 연구원과 함께하는 DNA 추출 실험", "job_practice", "K-바이오", "2,3", 0,
         "실험 가운을 입고 바이오 연구원과 함께 브로콜리에서 DNA를 뽑아내요. "
         "피펫 사용법과 실험실 안전 규칙을 배우고, "
         "신약과 백신이 연구실에서 어떻게 시작되는지 들어요."),
        ("K-바이오 신약 개발 이야기", "talk", "K-바이오", "1,2,3", 0,
         "신약 하나가 나오기까지 10년이 넘게 걸린다는 사실, 알고 있나요? "
         "바이오 기업 연구소장이 K-바이오 산업의 미래와 바이오 분야 직업을 쉽게 들려줘요."),
    ],
    "(주)그린셀바이오": [
        ("바이오 배양실 견학", "field_trip", "K-바이오", "2,3", 0,
         "세포를 키우는 배양실과 품질 검사실을 유리창 너머로 견학해요. "
         "바이오 의약품이 만들어지는 과정과 생산 관리 직무를 알아봐요."),
    ],
    "킨텍스(KINTEX)": [
        ("전시 기획자 직업체험", "field_job", "관광·MICE", "2,3", 0,
         "국내 최대 전시장 킨텍스에서 전시회가 어떻게 기획되고 준비되는지 알아봐요. "
         "전시 기획자와 함께 부스 배치도를 그리고 작은 전시회의 홍보 계획을 세워요."),
    ],
    "(주)로보랩 삼송": [
        ("로봇(Robot) 코딩 캠프", "camp", "로봇공학", "1,2,3", 0,
         "토요일 하루 동안 바퀴 달린 로봇을 조립하고 블록 코딩으로 미로를 탈출시켜요. "
         "센서로 장애물을 피하는 방법을 배우고 마지막에는 모둠 대항 로봇 경주를 열어요. "
         "코딩을 처음 해 봐도 괜찮아요."),
        ("자율주행 로봇 만들기", "job_practice", "로봇공학", "2,3", 0,
         "로봇 엔지니어와 함께 카메라로 선을 따라가는 자율주행 로봇을 만들어요. "
         "로봇이 길을 잃는 이유를 찾아 코드를 고치며 엔지니어의 문제 해결 방식을 경험해요."),
    ],
    "(주)누리소프트": [
        ("앱 개발자 직업체험", "job_practice", "IT·소프트웨어", "1,2,3", 0,
         "개발자와 함께 간단한 퀴즈 앱을 만들어 내 스마트폰에서 실행해 봐요. "
         "기획, 디자인, 개발, 테스트로 나뉜 소프트웨어 회사의 일을 역할극으로 경험해요."),
        ("게임 기획자와의 만남", "talk", "IT·소프트웨어", "1,2,3", 0,
         "좋아하는 게임은 어떻게 만들어질까요? "
         "게임 기획자가 아이디어가 게임이 되기까지의 과정을 들려주고 "
         "여러분의 게임 아이디어에 조언해 줘요."),
        ("온라인 코딩 교실: 파이썬 첫걸음", "online", "IT·소프트웨어", "1,2,3", 0,
         "교실이나 집에서 화상으로 참여하는 코딩 수업이에요. "
         "파이썬으로 숫자 맞히기 게임을 만들며 프로그래밍의 기초를 배워요. "
         "설치 없이 웹 브라우저로 실습해요."),
    ],
    "스튜디오 디자인모아": [
        ("캐릭터 디자이너 체험", "job_practice", "디자인", "1,2,3", 0,
         "이모티콘과 캐릭터를 그리는 디자이너를 만나 캐릭터가 상품이 되는 과정을 알아봐요. "
         "태블릿으로 나만의 캐릭터를 그리고 스티커로 만들어 가져가요."),
        ("나만의 로고 디자인", "job_practice", "디자인", "2,3", 0,
         "브랜드 디자이너가 유명한 로고에 숨은 뜻을 알려 줘요. "
         "우리 반이나 동아리를 위한 로고를 스케치하고 색을 골라 완성해요."),
    ],
    "(주)고양스마트팜": [
        ("수직농장 스마트팜 농부 체험", "field_job", "환경", "1,2,3", 0,
         "건물 안에서 LED 빛으로 채소를 키우는 수직농장을 둘러봐요. "
         "앱으로 물과 양분을 조절해 보고 미래 농업에 필요한 직업을 알아봐요."),
    ],
    "동국대학교 참사람사회공헌센터": [
        ("K-바이오 학과체험: 바이오제약공학과", "department", "K-바이오", "2,3", 0,
         "동국대학교 바이오메디캠퍼스 실험실에서 대학생 멘토와 함께 실험을 해요. "
         "바이오제약공학과에서 무엇을 배우고 졸업 후 어떤 일을 하는지 선배들에게 들어요."),
        ("대학생 멘토와 함께하는 바이오 실험실 탐방", "department", "K-바이오", "1,2,3", 0,
         "현미경으로 세포를 관찰하고 대학 연구실의 장비를 둘러봐요. "
         "대학생 멘토들이 중학생 때 진로를 어떻게 고민했는지 솔직하게 이야기해 줘요."),
        ("고양형 비대면 진로수업: K-바이오", "online", "K-바이오", "1,2,3", 0,
         "동국대학교 참사람사회공헌센터가 만든 비대면 진로수업이에요. "
         "백신과 신약이 만들어지는 과정을 영상으로 보고, "
         "집에서도 할 수 있는 간단한 바이오 관찰 활동을 함께 해요."),
    ],
    "한국항공대학교": [
        ("항공우주공학 학과체험: 드론 비행 원리", "department", "로봇공학", "2,3", 0,
         "비행기가 어떻게 뜨는지 풍동 실험으로 알아보고 드론 시뮬레이터로 비행을 연습해요. "
         "항공우주 및 기계공학부 대학생들이 실험을 도와줘요."),
        ("소프트웨어학과 학과체험", "department", "IT·소프트웨어", "2,3", 0,
         "대학 실습실에서 선배들과 함께 인공지능으로 사진을 분류하는 실습을 해요. "
         "대학에서 배우는 과목과 동아리 활동도 소개받아요."),
    ],
    "중부대학교 고양캠퍼스": [
        ("사진영상학과 학과체험", "department", "방송영상", "1,2,3", 0,
         "조리개와 셔터 속도를 바꿔 가며 같은 장면을 다르게 찍어 봐요. "
         "대학 스튜디오에 조명을 세우고 친구의 인물 사진을 찍어요."),
        ("연기·방송 학과체험: 카메라 앞에 서 보기", "department", "방송영상", "2,3", 0,
         "짧은 대본으로 카메라 앞에서 연기해 보고 찍은 장면을 모니터로 확인해요. "
         "연기와 방송 진행을 전공하는 대학생들이 발성과 표정 연습을 도와줘요."),
        ("뷰티케어 학과체험: 메이크업 기초", "department", "뷰티", "2,3", 0,
         "피부 타입에 맞는 관리 방법을 배우고 얼굴 도안에 메이크업을 그려 봐요. "
         "뷰티 전공 대학생에게 전공 공부와 자격증에 대해 물어볼 수 있어요."),
    ],
    "농협대학교": [
        ("친환경 농업과 협동조합 학과체험", "department", "환경", "2,3", 0,
         "실습 농장에서 친환경 농업 방법을 알아보고 "
         "협동조합이 농부와 소비자를 어떻게 잇는지 배워요. "
         "모둠별로 우리 동네 로컬푸드 가게를 기획해 봐요."),
    ],
    "(재)고양국제꽃박람회": [
        ("꽃박람회 전시 디자이너 체험", "field_job", "화훼", "1,2,3", 0,
         "고양국제꽃박람회의 대형 꽃 조형물이 어떻게 만들어지는지 전시 디자이너에게 들어요. "
         "작은 틀에 꽃과 이끼를 꽂아 미니 정원 조형물을 완성해요."),
        ("호수공원 꽃 정원 현장견학", "field_trip", "화훼", "1,2,3", 0,
         "일산호수공원의 꽃 정원을 걸으며 정원사와 화훼 전문가가 하는 일을 알아봐요. "
         "계절마다 꽃을 바꿔 심는 이유와 꽃 산업의 여러 직업을 소개받아요."),
        ("고양형 비대면 진로수업: 화훼", "online", "화훼", "1,2,3", 0,
         "(재)고양국제꽃박람회가 만든 비대면 진로수업이에요. "
         "꽃이 농장에서 꽃집까지 오는 길을 영상으로 따라가고 "
         "플로리스트, 화훼 재배가, 꽃 축제 기획자의 일을 알아봐요."),
    ],
    "고양시청소년재단": [
        ("진로 토크콘서트: 좋아하는 일을 찾는 법", "talk", "진로탐색", "1,2,3", 0,
         "여러 분야의 직업인이 무대에 올라 중학생 때의 고민과 지금 하는 일을 이야기해요. "
         "실시간 질문 코너에서 궁금한 점을 바로 물어볼 수 있어요."),
        ("온라인 직업인 라이브 토크", "talk", "진로탐색", "1,2,3", 0,
         "매회 다른 직업인이 화상으로 연결돼 자기 직업 이야기를 들려주는 라이브 수업이에요. "
         "여러 학교가 함께 접속하고 채팅으로 질문하면 바로 답해 줘요."),
    ],
    "고양문화재단 아람누리": [
        ("공연장 무대 뒤 직업 탐방", "field_trip", "문화예술", "1,2,3", 0,
         "대극장의 무대 뒤, 분장실, 조정실을 둘러봐요. "
         "무대감독, 조명 디자이너, 공연 기획자가 공연 하나를 위해 어떻게 협력하는지 "
         "알아봐요."),
        ("무대 조명·음향 감독 체험", "job_practice", "문화예술", "2,3", 0,
         "조명 콘솔로 무대 분위기를 바꿔 보고 마이크와 믹서로 소리를 조절해 봐요. "
         "짧은 장면에 어울리는 조명과 음향을 모둠별로 연출해요."),
    ],
    "(사)고양환경운동연합": [
        ("장항습지 생태 탐사", "field_trip", "환경", "1,2,3", 0,
         "한강 하구의 장항습지에서 철새와 습지 식물을 관찰해요. "
         "생태 해설가와 함께 망원경으로 새를 찾아보고 습지가 기후를 지키는 이유를 알아봐요."),
    ],
    "꽃담 플라워": [
        ("꽃다발 만들기 체험", "job_practice", "화훼", "1,2,3", 8000,
         "플로리스트에게 꽃 손질법과 색 조합을 배우고 제철 꽃으로 나만의 꽃다발을 만들어요. "
         "완성한 꽃다발은 가져가서 가족에게 선물할 수 있어요."),
        ("플로리스트 직업체험: 꽃바구니 디자인", "field_job", "화훼", "2,3", 10000,
         "꽃집의 하루를 함께하며 주문을 받고 꽃을 준비하는 과정을 봐요. "
         "플로리스트처럼 손님의 주문서를 읽고 꽃바구니를 디자인해 완성해요."),
    ],
    "화정 꽃향기 플라워": [
        ("꽃 화분 가꾸기와 원예 체험", "job_practice", "화훼", "1,2,3", 5000,
         "흙 배합부터 분갈이까지 화분을 가꾸는 방법을 배워요. "
         "허브나 다육식물을 내 화분에 옮겨 심고 오래 키우는 물주기 요령을 들어요."),
    ],
    "밀과보리 베이커리": [
        ("제빵사 직업체험: 모닝빵 굽기", "job_practice", "제과·제빵", "1,2,3", 5000,
         "반죽부터 성형, 굽기까지 제빵사가 매일 새벽에 하는 일을 따라 해 봐요. "
         "직접 구운 모닝빵은 포장해서 가져가요."),
        ("케이크 데코레이션 체험", "job_practice", "제과·제빵", "1,2,3", 7000,
         "파티시에에게 생크림 짜는 법을 배우고 작은 케이크를 과일과 초콜릿으로 꾸며요. "
         "동네 빵집 사장님이 가게를 꾸리며 느끼는 보람도 들어요."),
    ],
    "행신당 제과": [
        ("전통 과자 만들기 체험", "job_practice", "제과·제빵", "1,2,3", 3000,
         "쌀가루와 조청으로 약과와 강정을 만들어 봐요. "
         "전통 과자를 요즘 사람들 입맛에 맞게 바꾸는 제과 기술자의 고민도 들어요."),
    ],
    "호수 로스터리 카페": [
        ("바리스타 직업체험: 라떼아트 도전", "field_job", "바리스타", "2,3", 0,
         "원두를 볶는 로스팅 과정을 구경하고 에스프레소 머신 사용법을 배워요. "
         "커피 대신 우유와 코코아로 하트 모양 라떼아트에 도전해요. "
         "카페를 창업하려면 무엇이 필요한지도 들어요."),
    ],
    "카페 대화동": [
        ("카페 사장님의 하루", "field_job", "바리스타", "1,2,3", 0,
         "동네 카페 사장님과 함께 재료 준비, 주문 받기, 매장 정리까지 카페의 하루를 경험해요. "
         "작은 가게를 꾸려 가는 소상공인의 일과 고민을 알아봐요."),
    ],
    "헤어살롱 라온": [
        ("헤어 디자이너 직업체험", "field_job", "뷰티", "2,3", 0,
         "마네킹 머리로 드라이와 땋기를 연습하고 손님과 상담하는 방법을 배워요. "
         "미용 자격증과 미용 특성화고 진학에 대해서도 물어볼 수 있어요."),
    ],
    "뷰티스튜디오 봄": [
        ("네일아티스트 체험", "job_practice", "뷰티", "1,2,3", 3000,
         "손톱 모양을 다듬고 네일 팁 위에 나만의 디자인을 그려 봐요. "
         "위생과 손님 응대가 왜 중요한지 네일아티스트에게 배워요."),
    ],
    "나무숲 목공방": [
        ("목공방에서 연필꽂이 만들기", "job_practice", "디자인", "1,2,3", 6000,
         "목공 선생님과 함께 나무를 사포로 다듬고 조립해 연필꽂이를 만들어요. "
         "공구를 안전하게 쓰는 방법을 배우고 가구 디자이너와 목수의 일을 알아봐요."),
    ],
    "흙담 도자기공방": [
        ("도예가 체험: 물레로 그릇 빚기", "job_practice", "디자인", "1,2,3", 8000,
         "물레를 돌려 작은 그릇을 빚고 도예가가 유약을 바르고 굽는 과정을 배워요. "
         "만든 그릇은 가마에 구운 뒤 2주 후 학교로 보내 드려요."),
    ],
    "빛담 사진관": [
        ("사진작가 직업체험: 인물 사진 찍기", "field_job", "방송영상", "1,2,3", 0,
         "사진관 스튜디오에 조명을 세우고 친구의 증명사진과 프로필 사진을 찍어 봐요. "
         "사진을 보정하는 과정도 보며 사진작가의 일을 경험해요."),
    ],
    "멍냥 펫살롱": [
        ("반려동물 미용사 직업체험", "field_job", "반려동물", "1,2,3", 0,
         "반려동물 미용사가 강아지를 목욕시키고 털을 다듬는 과정을 가까이에서 봐요. "
         "동물을 안전하게 대하는 방법과 반려동물 관련 직업을 알아봐요."),
    ],
    "소소 캔들공방": [
        ("캔들 공예가 체험", "job_practice", "디자인", "1,2,3", 5000,
         "공예가와 함께 콩 왁스와 향료로 나만의 캔들을 만들어요. "
         "내 제품에 이름과 라벨을 붙이며 작은 브랜드를 만드는 과정을 경험해요."),
    ],
}

# Programmes that meet only online although their type is not "online" (a live talk).
_ONLINE_TITLES = {"온라인 직업인 라이브 토크"}

_BRING_BY_FIELD = {
    "화훼": "앞치마, 완성품을 담아 갈 종이가방",
    "제과·제빵": "앞치마, 머릿수건, 완성품을 담아 갈 통",
    "바리스타": "앞치마, 필기도구",
    "디자인": "필기도구, 색연필, 앞치마",
    "뷰티": "필기도구, 머리끈",
    "소방·안전": "운동화, 필기도구",
    "환경": "모자, 물병, 필기도구",
}
_BRING_DEFAULT = "필기도구, 학생증"
_BRING_ONLINE = "노트북이나 태블릿(카메라·마이크), 이어폰"

_NOTES_BY_FIELD = {
    "소방·안전": "활동하기 편한 옷과 운동화를 착용해 주세요. "
                 "긴급 출동이 생기면 일정이 바뀔 수 있어요.",
    "보건·의료": "열이 나거나 몸이 아프면 참여할 수 없어요. 기관 안에서는 조용히 이동해 주세요.",
    "제과·제빵": "밀, 달걀, 우유, 견과류 알레르기가 있으면 미리 알려 주세요. "
                 "긴 머리는 묶어 주세요.",
    "바리스타": "뜨거운 물과 기계를 다루니 안내에 꼭 따라 주세요. 카페인 음료는 마시지 않아요.",
    "화훼": "꽃가루 알레르기가 있으면 미리 알려 주세요. 꽃가위는 안내에 따라 사용해요.",
    "반려동물": "동물 털 알레르기가 있으면 미리 알려 주세요. 동물을 갑자기 만지지 마세요.",
    "환경": "야외 활동이 있으니 날씨에 맞는 옷과 편한 신발을 준비해 주세요.",
}
_NOTES_DEFAULT = "시작 10분 전까지 도착해 주세요. 사진 촬영은 체험처의 안내에 따라 주세요."
_NOTES_ONLINE = "시작 10분 전에 접속 링크로 들어와 이름을 '학교 이름'으로 바꿔 주세요."

# (kind, name, field, organization, online, bio)
_MENTORS = [
    ("professional", "윤서진", "방송영상", "MBC ART", True,
     "예능 프로그램을 12년째 만드는 방송 PD예요. "
     "조연출 시절 이야기부터 촬영장의 하루까지 솔직하게 들려줄게요."),
    ("professional", "이수민", "보건·의료", "국립암센터", True,
     "병동에서 일하는 간호사예요. 간호학과 진학과 3교대 근무가 궁금하면 물어보세요."),
    ("professional", "최민호", "소방·안전", "고양소방서", False,
     "고양소방서 구조대원이에요. 소방관이 되기 위한 체력 준비와 현장 이야기를 나눠요."),
    ("professional", "정하은", "K-바이오", "(주)한빛바이오랩", True,
     "세포를 키워 신약 후보 물질을 찾는 바이오 연구원이에요. "
     "과학을 좋아하는 친구들과 실험실 이야기를 나누고 싶어요."),
    ("professional", "한예린", "화훼", "꽃담 플라워", False,
     "꽃집을 운영하는 플로리스트예요. 좋아하는 일을 작은 가게로 시작한 과정을 들려줄게요."),
    ("professional", "강태윤", "IT·소프트웨어", "(주)누리소프트", True,
     "앱과 웹 서비스를 만드는 개발자예요. 코딩을 처음 시작하는 방법을 알려 줄게요."),
    ("professional", "오세영", "제과·제빵", "밀과보리 베이커리", False,
     "새벽 5시에 빵을 굽기 시작하는 제빵사예요. 자격증과 빵집 창업 이야기를 들려줘요."),
    ("professional", "배준우", "스마트시티", "고양시청 스마트시티지원센터", True,
     "도시 데이터를 분석하는 연구원이에요. 데이터로 동네 문제를 푸는 방법을 함께 찾아봐요."),
    ("university", "김나연", "K-바이오", "동국대학교 바이오제약공학과 3학년", True,
     "실험이 좋아 바이오제약공학과에 왔어요. 중학생 때 어떤 공부가 도움이 되는지 알려 줄게요."),
    ("university", "서준혁", "로봇공학", "한국항공대학교 항공우주 및 기계공학부 2학년", True,
     "드론 동아리에서 비행체를 만들고 있어요. 로봇과 드론에 관심 있는 친구라면 환영해요."),
    ("university", "임채원", "방송영상", "중부대학교 사진영상학과 4학년", True,
     "사진과 영상을 찍으며 영상 채널도 운영해요. 포트폴리오 만드는 법을 함께 고민해요."),
    ("university", "문지호", "IT·소프트웨어", "한국항공대학교 소프트웨어학과 3학년", True,
     "인공지능 동아리에서 프로젝트를 하고 있어요. 수학이 어려워도 코딩은 시작할 수 있어요."),
    ("university", "장유나", "환경", "농협대학교 2학년", False,
     "친환경 농업과 로컬푸드에 관심이 많아요. 농장 실습 이야기를 들려줄게요."),
]

# fmt: on


# ---------------------------------------------------------------- generating


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _site(row: tuple, today: date, rng: random.Random) -> DemoSite:
    name, kind, district, address, directions, status = row
    checked = valid = None
    if status == "passed":
        # Checked within the last ten months, so every pass is still valid today.
        checked = today - timedelta(days=rng.randint(14, 300))
        valid = _one_year_later(checked)
    elif status == "needs_fix":
        # Checked 5-24 days ago: its re-inspection (30 days after) is still ahead. One draw,
        # as for a pass, so the rest of the data is the same as before it was added.
        checked = today - timedelta(days=5 + rng.randint(14, 300) % 20)
        valid = recheck_by(checked)  # it holds until then (storage/inspections/result.py)
    elif status == "failed":
        checked = today - timedelta(days=rng.randint(3, 40))
    return DemoSite(name, kind, district, address, directions, status, checked, valid)


def _schedule(
    site_kind: str, ptype: str, online: bool, rng: random.Random
) -> tuple[tuple[int, ...], time, int]:
    """Weekdays (0 = Monday), start time and length in minutes of a programme's sessions."""
    if ptype == "camp":
        # Camps are whole Saturday mornings, outside the school week.
        return (5,), time(10, 0), 240
    if online:
        # Online classes are joined by whole classes during school hours.
        days = sorted(rng.sample(range(5), 2))
        return tuple(days), rng.choice([time(10, 0), time(14, 0)]), rng.choice([90, 120])
    days = sorted(rng.sample(range(5), rng.choice([1, 2])))
    if site_kind == "small_business":
        # Shops take small groups after lessons.
        return tuple(days), rng.choice([time(14, 0), time(16, 0)]), rng.choice([90, 120])
    minutes = rng.choice([90, 120] if ptype == "talk" else [90, 120, 150, 180, 240])
    starts = [time(10, 0), time(13, 30), time(14, 0)]
    if minutes <= 120:  # nothing may run past 18:00 for 13-year-olds
        starts.append(time(16, 0))
    return tuple(days), rng.choice(starts), minutes


def _capacity(site_kind: str, ptype: str, online: bool, rng: random.Random) -> int:
    if online:
        return rng.choice([30, 35, 40])
    if site_kind == "small_business":
        return rng.randint(10, 15)
    if ptype == "talk":
        return rng.choice([30, 35, 40])
    return rng.choice([15, 20, 25, 30])


def _schedule_note(days: Sequence[int], start: time, minutes: int, online: bool) -> str:
    end = (datetime.combine(date.min, start) + timedelta(minutes=minutes)).time()
    names = "·".join("월화수목금토일"[d] for d in days)
    note = f"매주 {names} {start:%H:%M}–{end:%H:%M}"
    return note + " (온라인)" if online else note


def _notes(field: str, fee: int, online: bool) -> str:
    notes = _NOTES_ONLINE if online else _NOTES_BY_FIELD.get(field, _NOTES_DEFAULT)
    if fee:
        notes += f" 재료비 {fee:,}원은 체험 당일 현장에서 받아요."
    return notes


def _program_and_sessions(
    site: DemoSite, row: tuple, today: date, rng: random.Random
) -> tuple[DemoProgram, list[DemoSession]]:
    title, ptype, field, grades, fee, description = row
    online = ptype == "online" or title in _ONLINE_TITLES
    days, start, minutes = _schedule(site.kind, ptype, online, rng)
    capacity = _capacity(site.kind, ptype, online, rng)
    program = DemoProgram(
        external_key=f"{site.name}|{title}",
        site_name=site.name,
        title=title,
        description=description,
        type=ptype,
        field=field,
        target_grades=grades,
        district=site.district,
        place=None if online else f"{site.name} ({site.address})",
        directions=None if online else site.directions,
        online=online,
        capacity=capacity,
        schedule_note=_schedule_note(days, start, minutes, online),
        # Hours credited are 45-minute school periods (차시).
        hours=max(2, min(6, round(minutes / 45))),
        fee=fee,
        bring=_BRING_ONLINE if online else _BRING_BY_FIELD.get(field, _BRING_DEFAULT),
        notes=_notes(field, fee, online),
    )
    # A standing video room per online programme, as the national mentoring service does.
    url = f"https://meet.jinro.example/{rng.getrandbits(40):010x}" if online else None
    slots = [
        today + timedelta(days=offset)
        for offset in range(1, WINDOW_DAYS + 1)
        if (today + timedelta(days=offset)).weekday() in days
    ]
    # 8–10 dates keep the whole demo around 600 sessions, so loading stays fast.
    chosen = sorted(rng.sample(slots, min(len(slots), rng.randint(8, 10))))
    sessions = []
    for day in chosen:
        starts_at = datetime.combine(day, start, tzinfo=KST)
        sessions.append(
            DemoSession(
                program_key=program.external_key,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                capacity=capacity,
                cancel_deadline=datetime.combine(day - timedelta(days=2), time(18, 0), KST),
                online_url=url,
            )
        )
    return program, sessions


def generate(seed: int = 2026, *, today: date) -> DemoData:
    """The demo data for `seed`, with sessions in the 8 weeks after `today` (Seoul)."""
    rng = random.Random(seed)
    schools = [DemoSchool(name, dist, "middle", addr) for name, dist, addr in _SCHOOLS]
    schools.append(DemoSchool(*_ALTERNATIVE_SCHOOL))
    sites = [_site(row, today, rng) for row in _SITES]
    site_by_name = {site.name: site for site in sites}
    programs: list[DemoProgram] = []
    sessions: list[DemoSession] = []
    for site_name, rows in _PROGRAMS.items():
        for row in rows:
            program, program_sessions = _program_and_sessions(
                site_by_name[site_name], row, today, rng
            )
            programs.append(program)
            sessions.extend(program_sessions)
    mentors = [
        DemoMentor(kind, name, field, organization, bio, online)
        for kind, name, field, organization, online, bio in _MENTORS
    ]
    return DemoData(tuple(schools), tuple(sites), tuple(programs), tuple(sessions), tuple(mentors))


# ---------------------------------------------------------------- loading


async def _insert_new(
    conn: AsyncConnection,
    table: Table,
    rows: Iterable[dict],
    key: Sequence[str],
    where: ColumnElement[bool] | None = None,
) -> int:
    """Insert the rows whose key is not in the table yet; return how many were inserted."""
    query = select(*(table.c[name] for name in key))
    if where is not None:
        query = query.where(where)
    existing = {tuple(row) for row in await conn.execute(query)}
    # Aware datetimes compare and hash by instant, so UTC values read back from the
    # database match the Seoul-time values generated here.
    new = [row for row in rows if tuple(row[name] for name in key) not in existing]
    if new:
        await conn.execute(insert(table), new)
    return len(new)


async def _ids(conn: AsyncConnection, table: Table, key: str) -> dict:
    return dict((await conn.execute(select(table.c[key], table.c.id))).all())


async def load_demo_data(
    db: Database, data: DemoData | None = None, *, now: datetime
) -> DemoCounts:
    """Write the demo data in one transaction, skipping rows that are already there; without
    `data`, the demo data of the city's day at `now`."""
    data = generate(today=now.astimezone(KST).date()) if data is None else data
    schools, sites = School.__table__, Site.__table__
    programs, sessions, mentors = Program.__table__, Session.__table__, Mentor.__table__
    async with db.write() as conn:
        n_schools = await _insert_new(conn, schools, map(asdict, data.schools), ["name"])
        n_sites = await _insert_new(conn, sites, map(asdict, data.sites), ["name"])
        site_ids = await _ids(conn, sites, "name")
        program_rows = []
        for program in data.programs:
            row = asdict(program)
            row["site_id"] = site_ids[row.pop("site_name")]
            row["school_level"] = "middle"
            program_rows.append(row)
        known = set((await _ids(conn, programs, "external_key")).values())
        n_programs = await _insert_new(conn, programs, program_rows, ["external_key"])
        program_ids = await _ids(conn, programs, "external_key")
        await index_programs(conn, sorted(set(program_ids.values()) - known))
        session_rows = []
        for session in data.sessions:
            row = asdict(session)
            row["program_id"] = program_ids[row.pop("program_key")]
            row.update(booked=0, status="scheduled")
            session_rows.append(row)
        # Read back only this data's sessions; a live database may hold many more.
        ours = sessions.c.program_id.in_(sorted({row["program_id"] for row in session_rows}))
        n_sessions = await _insert_new(
            conn, sessions, session_rows, ["program_id", "starts_at"], ours
        )
        n_mentors = await _insert_new(conn, mentors, map(asdict, data.mentors), ["kind", "name"])
        await refresh_next(conn, sorted({row["program_id"] for row in session_rows}), now=now)
    return DemoCounts(n_schools, n_sites, n_programs, n_sessions, n_mentors)
