# Prints one JSON line per (value, protocol 0-5): its pickle (hex) and the
# repr() and str() this Python gives it, for tests/pickle_inert_test.ts.
import pickle, datetime, decimal, uuid, pathlib, enum, collections, dataclasses, logging, sys, json, binascii
class Color(enum.Enum):
    RED = 1
@dataclasses.dataclass
class Order:
    id: int
    total: float
class Plain:
    def __init__(self): self.a = 1; self.b = "x"
P = collections.namedtuple("P", "x y")
tz = datetime.timezone(datetime.timedelta(hours=2))
vals = dict(
 dt=datetime.datetime(2024,1,2,3,4,5), dtz=datetime.datetime(2024,1,2,3,4,5,6,tzinfo=tz),
 d=datetime.date(2024,1,2), t=datetime.time(3,4,5), td=datetime.timedelta(days=1,seconds=2,microseconds=3), tz=datetime.timezone.utc,
 dec=decimal.Decimal("1.10"), u=uuid.UUID(int=1), p=pathlib.Path("/tmp/x"), e=Color.RED,
 od=collections.OrderedDict(a=1), dd=collections.defaultdict(list, a=[1]), dq=collections.deque([1,2], maxlen=5), c=collections.Counter("aab"),
 nt=P(1,2), cx=complex(1,2), r=range(1,10,2), lg=logging.getLogger("x.y"), root=logging.getLogger(), ex=ValueError("bad", 3), o=Order(7,2.5), pl=Plain(),
)
for k, v in vals.items():
    for proto in range(6):
        print(json.dumps({"k": k, "p": proto, "repr": repr(v), "str": str(v), "hex": binascii.hexlify(pickle.dumps(v, proto)).decode()}))
