package sim

// combo is one (label, resource type) a queue runs, with its share of the
// queue's jobs.
type combo struct {
	label, res string
	share      float64
}

// qspec describes one kind of PanDA queue a site may have.
type qspec struct {
	pattern    string // name pattern; %s is the site name
	typ        string // CRIC "type"
	capability string
	corecount  int     // 0: null in CRIC
	weight     float64 // share of the site's jobs relative to other kinds
	status     string  // fixed CRIC status; "" draws online/offline/brokeroff
	combos     []combo
}

// specs is the order in which a site gets queues: a small site has only the
// first kinds, a Tier-1 most of them. Past the end, more _UCORE_<n> queues.
var specs = []qspec{
	{"%s_UCORE", "unified", "ucore", 8, 1.0, "", []combo{
		{"managed", "SCORE", .40}, {"managed", "MCORE", .36}, {"managed", "SCORE_HIMEM", .05},
		{"managed", "MCORE_HIMEM", .04}, {"user", "SCORE", .11}, {"user", "MCORE", .02}, {"user", "SCORE_HIMEM", .01},
		{"test", "SCORE", .006}, {"test", "MCORE", .004}}},
	{"ANALY_%s", "analysis", "score", 1, .45, "", []combo{
		{"user", "SCORE", .80}, {"user", "MCORE", .08}, {"user", "SCORE_HIMEM", .08}, {"test", "SCORE", .01}}},
	{"%s", "production", "score", 1, .40, "", []combo{
		{"managed", "SCORE", .85}, {"managed", "SCORE_LOMEM", .10}, {"test", "SCORE", .01}}},
	{"%s_MCORE", "production", "mcore", 8, .50, "", []combo{
		{"managed", "MCORE", .88}, {"managed", "MCORE_HIMEM", .10}, {"test", "MCORE", .01}}},
	{"%s_HIMEM", "production", "himem", 1, .20, "", []combo{
		{"managed", "SCORE_HIMEM", .6}, {"managed", "MCORE_HIMEM", .4}}},
	{"ANALY_%s_GPU", "analysis", "score", 0, .05, "", []combo{{"user", "SCORE", 1}}},
	{"%s_SCORE", "production", "score", 1, .30, "", []combo{{"managed", "SCORE", .97}, {"test", "SCORE", .02}}},
	{"%s_LOMEM", "production", "score", 1, .15, "", []combo{{"managed", "SCORE_LOMEM", .7}, {"managed", "MCORE_LOMEM", .3}}},
	{"%s_TEST", "production", "ucore", 8, .03, "test", []combo{{"test", "SCORE", .6}, {"test", "MCORE", .4}}},
	{"%s_ES", "special", "mcore", 8, .20, "", []combo{{"managed", "MCORE", 1}}},
	{"ANALY_%s_VP", "analysis", "score", 1, .15, "", []combo{{"user", "SCORE", .95}, {"user", "MCORE", .05}}},
	{"%s_MCORE_HIMEM", "production", "mcorehimem", 8, .15, "", []combo{{"managed", "MCORE_HIMEM", 1}}},
	{"%s_OPP", "production", "ucore", 8, .30, "", []combo{{"managed", "SCORE", .6}, {"managed", "MCORE", .4}}},
	{"%s_SHORT", "production", "score", 1, .15, "", []combo{{"managed", "SCORE", 1}}},
	{"%s_LONG", "production", "score", 1, .15, "", []combo{{"managed", "SCORE", .8}, {"managed", "MCORE", .2}}},
	{"ANALY_%s_LONG", "analysis", "score", 1, .20, "", []combo{{"user", "SCORE", .9}, {"user", "MCORE", .1}}},
	{"%s_ARM", "unified", "ucore", 8, .10, "", []combo{{"managed", "SCORE", .5}, {"managed", "MCORE", .4}, {"user", "SCORE", .1}}},
	{"%s_CLOUD", "production", "ucore", 8, .20, "", []combo{{"managed", "SCORE", .5}, {"managed", "MCORE", .5}}},
}

// oddity is a deliberately awkward queue added to every grid.
type oddity struct {
	name    string // PanDA name
	cricKey string // CRIC key; "" when CRIC does not know the queue
	site    string // preferred site (falls back to the first site)
	spec    qspec
}

// oddities are the queues that exercise joins, escaping and the UI.
var oddities = []oddity{
	// Known to CRIC under another key; only panda_resource matches PanDA.
	{"SLAC_ES", "SLAC_ES-lsf", "WT2", specs[9]},
	// Reported by PanDA, unknown to CRIC.
	{"ANALY_SLAC_LMEM", "", "WT2", specs[1]},
	{"NIKHEF-ELPROD_OLD", "", "NIKHEF-ELPROD", specs[2]},
	{"CERN-PROD_SL7_RETIRED", "", "CERN-PROD", specs[6]},
	// Names that break naive encoders and templates.
	{"TEST_Zürich queue", "TEST_Zürich queue", "CSCS-LCG2", qspec{"", "production", "score", 1, .05, "test",
		[]combo{{"test", "SCORE", .5}, {"managed", "SCORE", .5}}}},
	{"UKI-LT2-QMUL_RT=SCORE,MCORE", "UKI-LT2-QMUL_RT=SCORE,MCORE", "UKI-LT2-QMUL", specs[0]},
	{"<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>", "BOINC", specs[2]},
}

// queue is one PanDA queue.
type queue struct {
	idx     int
	name    string // the key PanDA reports
	cricKey string // the key of the CRIC dump; "" when unknown to CRIC
	site    *site
	spec    *qspec
	status  string // base CRIC status
	orphan  bool   // PanDA-only: no CRIC entry, untouched by site incidents
	oddity  bool
	series  []series
	total   float64 // sum of series bases
	tz      float64 // hour offset of the site's working day
}

// reports tells whether PanDA can list the queue.
func (q *queue) reports() bool { return len(q.series) > 0 }

// normal tells whether the queue may be the target of a queue incident.
func (q *queue) normal() bool {
	return q.status == "online" && !q.oddity && q.total >= 30
}

// series is one (label, resource type) of a queue, with its parameters.
type series struct {
	label, res string
	base       float64 // mean running jobs
	key        uint64
	wall       float64 // mean job duration, minutes
	fail       float64 // failed fraction of completed jobs
	act        float64 // activated jobs per running job
	amp        float64 // amplitude of the daily cycle
}

// seriesParams returns the label/resource-dependent job parameters before
// per-series randomisation.
func seriesParams(label, res string) (wall, fail, act, amp float64) {
	switch label {
	case "managed":
		wall, fail, act, amp = 240, .06, .25, .06
		switch {
		case res == "null":
			wall = 200
		case len(res) >= 5 && res[:5] == "MCORE":
			wall = 600
		}
		if len(res) > 6 && res[len(res)-5:] == "HIMEM" {
			wall *= 1.4
		}
		if len(res) > 6 && res[len(res)-5:] == "LOMEM" {
			wall *= .6
		}
	case "user":
		wall, fail, act, amp = 80, .14, .6, .3
		if res == "MCORE" {
			wall = 150
		}
	case "test":
		wall, fail, act, amp = 25, .2, .5, .1
	default:
		wall, fail, act, amp = 120, .3, .4, .1
	}
	return wall, fail, act, amp
}

// newSeries draws one series of queue q.
func newSeries(seed uint64, q *queue, c combo, base float64) series {
	key := h3(seed, strHash(q.name), strHash(c.label+"/"+c.res))
	wall, fail, act, amp := seriesParams(c.label, c.res)
	return series{
		label: c.label, res: c.res, base: base, key: key,
		wall: wall * (0.7 + 0.6*unit(h2(key, 1))),
		fail: fail * (0.5 + unit(h2(key, 2))),
		act:  act * (0.4 + 1.2*unit(h2(key, 3))),
		amp:  amp,
	}
}
