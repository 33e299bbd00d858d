import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE","arrears.settings")
django.setup()
from households.unlawful import scan
from tests.households.unlawful_corpus import POSITIVES, NEAR_MISSES
print(len(POSITIVES), len(NEAR_MISSES))
for t, code in POSITIVES:
    hits = scan(t)
    if code not in {h.code for h in hits}:
        print("MISS", t, code, [(h.phrase,h.code) for h in hits])
for t in NEAR_MISSES:
    hits = scan(t)
    if hits: print("FALSE", t, [(h.phrase,h.code) for h in hits])
