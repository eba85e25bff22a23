#!/usr/bin/env python3
# Shares of JFR execution samples on Tomcat threads, by part of the HTTP path, per bench/http-bench.sh endpoint.
# usage: jfr print --events jdk.ExecutionSample --stack-depth 256 vk.jfr > samples.txt
#        bench/jfr-parts.py samples.txt phases.txt [seconds of warm-up tail, default 30] [top frames per endpoint]
# phases.txt is http-bench.sh stderr (each wrk run start/end). A sample goes to the first frame from the top that
# matches a rule below (JDK frames match none), so a part counts its own code and the JDK code it calls.
import re, sys, collections
samples, phases = sys.argv[1], sys.argv[2]
TAIL = float(sys.argv[3]) if len(sys.argv) > 3 else 30
def secs(t):
    h, m, s = t.split(':'); return int(h)*3600 + int(m)*60 + float(s)
# windows: each wrk run -> (name, start, end); name from url
runs = []
cur = None
for line in open(phases):
    m = re.match(r'(\S+) wrk start (.*)', line)
    if m:
        url = m.group(2); cur = (secs(m.group(1)), url); continue
    m = re.match(r'(\S+) wrk end', line)
    if m and cur:
        runs.append((cur[1], cur[0], secs(m.group(1)))); cur = None
def name(url):
    if ':18095' in url or ':18090' in url or 'anchor' in url and '/ping' in url: return 'anchor'
    if url.endswith('/api/v1/ping'): return 'ping'
    if url.startswith('fcntl'): return 'fcntl'
    return 'inject'
# the two inject runs: first is tracing on, second off (warm-up and measure each)
windows = []
seen = collections.Counter()
for url, s, e in runs:
    n = name(url)
    if n == 'inject':
        seen[url] += 1
        n = 'inject-on' if seen[url] % 2 == 1 else 'inject-off'
    if e - s > 20: s = e - TAIL  # warm-up: keep its tail
    windows.append((n, s, e))
RULES = [
  ('kernel', r'^io\.vkernel\.kernel\.'),
  ('jackson', r'^(tools\.jackson|com\.fasterxml\.jackson)\.'),
  ('micrometer http.server.requests', r'^(io\.micrometer\.|org\.springframework\.web\.filter\.ServerHttpObservationFilter|org\.springframework\.http\.server\.observation)'),
  ('spring security', r'^org\.springframework\.security\.'),
  ('vkernel api/filters', r'^io\.vkernel\.'),
  ('logging checks', r'^(org\.slf4j|ch\.qos\.logback|org\.apache\.commons\.logging|org\.springframework\.core\.log)'),
  ('handler lookup', r'(HandlerMapping|HandlerMethodMapping|RequestMappingInfo|Condition\.|PathPattern|web\.util\.pattern|UrlPathHelper|ServletRequestPathUtils|RequestPath|PathContainer|CorsUtils|getHandler\()'),
  ('content negotiation', r'(ContentNegotiation|MediaType|MimeType|getProducibleMediaTypes|getAcceptableMediaTypes|HeaderContentNegotiation)'),
  ('json read (converter)', r'readWithMessageConverters|RequestResponseBodyMethodProcessor\.resolveArgument|HttpMessageConverter.*\.read'),
  ('json write (converter)', r'writeWithMessageConverters|handleReturnValue|HttpMessageConverter.*\.write|HttpEntityMethodProcessor'),
  ('argument resolution', r'(ArgumentResolver|MethodParameter|getMethodArgumentValues|DataBinder|[Cc]onversion|TypeConverter|[Vv]alidat|PathVariable|RequestParam)'),
  ('spring mvc dispatch', r'^org\.springframework\.'),
  ('tomcat', r'^org\.apache\.(catalina|coyote|tomcat)'),
]
RULES = [(n, re.compile(r)) for n, r in RULES]
INCL = ['lookupHandlerMethod', 'addMatchingMappings', 'getMatchingCondition', 'readWithMessageConverters', 'writeWithMessageConverters',
        'getMethodArgumentValues', 'ServerHttpObservationFilter.doFilterInternal', 'getAcceptableMediaTypes', 'getProducibleMediaTypes',
        'ObjectMapper.writerFor', 'ObjectMapper.reader', 'ObjectMapper.writer', 'AbstractJacksonHttpMessageConverter.read', 'AbstractJacksonHttpMessageConverter.writeInternal', 'DefaultPrettyPrinter', 'io.vkernel.kernel.']
cat = collections.defaultdict(collections.Counter); incl = collections.defaultdict(collections.Counter); tot = collections.Counter()
top = collections.defaultdict(collections.Counter)
for ev in open(samples).read().split('jdk.ExecutionSample {')[1:]:
    m = re.search(r'startTime = (\S+)', ev); th = re.search(r'sampledThread = "([^"]+)"', ev)
    if not m or not th or 'http-nio' not in th.group(1): continue
    t = secs(m.group(1))
    w = next((n for n, s, e in windows if s <= t <= e), None)
    if not w: continue
    frames = re.findall(r'^\s{4}(\S+?)\(', ev, re.M)
    tot[w] += 1
    c = 'jdk / other'
    for i, f in enumerate(frames):
        hit = next((n for n, r in RULES if r.search(f)), None)
        if hit:
            c = hit
            if hit == 'jackson':
                rest = ' '.join(frames[i:])
                c = 'json read (jackson)' if re.search(r'readWithMessageConverters|\.read\(|readValue|resolveArgument', rest) and not re.search(r'writeWithMessageConverters', rest) else 'json write (jackson)'
            break
    cat[w][c] += 1
    top[w][frames[0] if frames else '?'] += 1
    s = ' '.join(frames)
    for k in INCL:
        if k in s: incl[w][k] += 1
order = ['ping', 'fcntl', 'inject-on', 'inject-off', 'anchor']
cols = [o for o in order if tot[o]]
allc = sorted({c for w in cols for c in cat[w]}, key=lambda c: -sum(cat[w][c]/tot[w] for w in cols))
print('| part | ' + ' | '.join(cols) + ' |'); print('|---|' + '---:|'*len(cols))
print('| samples | ' + ' | '.join(str(tot[w]) for w in cols) + ' |')
for c in allc:
    print(f'| {c} | ' + ' | '.join(f'{100*cat[w][c]/tot[w]:.0f} %' if cat[w][c] else '-' for w in cols) + ' |')
print('\ninclusive (frame on stack):')
for k in INCL:
    print(f'| {k} | ' + ' | '.join(f'{100*incl[w][k]/tot[w]:.1f} %' for w in cols) + ' |')
if len(sys.argv) > 4:
    for w in cols:
        print('\n==', w); [print(n, f) for f, n in top[w].most_common(int(sys.argv[4]))]
