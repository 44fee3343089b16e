/* test_pods.c - the pod map (include/pods.h): PodList, List and single Pod
 * input, what a pod gives (addresses and their key, app, service account,
 * images, owner), the pods not mapped (host network, finished, no
 * address), bad items, addresses and strings with their messages and the
 * message cap, address conflicts, whole-file errors, the scanner that
 * reads a list one item at a time (checked against json-c's whole-file
 * parse), lookups (IPv4-mapped, NULL map) and a 10,000-pod list built
 * here.
 *
 * The JSON below is written with ' for " (q() turns them back) to keep it
 * readable; strict JSON is what reaches the parser. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "pods.h"

/* ---- helpers ---- */

/* s with every ' turned into " (malloc'd) */
static char *q(const char *s)
{
	char *t = strdup(s);
	assert_non_null(t);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	return t;
}

/* One parse: the map (or NULL), its counters, error and messages. */
struct run {
	struct pod_map *m;
	struct pods_stats st;
	char err[512];
	char *msgs;
	size_t msglen;
	int lines;
};

static void count_lines(struct run *r)
{
	r->lines = 0;
	for (size_t i = 0; i < r->msglen; i++)
		r->lines += r->msgs[i] == '\n';
}

/* the counters add up, and there is one message per bad part, capped */
static void check_sums(const struct run *r)
{
	const struct pods_stats *s = &r->st;
	assert_int_equal(s->items, s->pods + s->host_network + s->finished + s->no_address +
					   s->not_pods + s->bad_items);
	assert_true(s->addresses >= s->pods);
	uint64_t bad = s->bad_items + s->bad_addresses + s->bad_strings + s->address_conflicts;
	if (bad <= PODS_MESSAGES_MAX) {
		assert_int_equal(r->lines, bad);
	} else {
		assert_int_equal(r->lines, PODS_MESSAGES_MAX + 1);
		char more[64];
		snprintf(more, sizeof(more), "t.json: %llu more messages not shown\n",
			 (unsigned long long)(bad - PODS_MESSAGES_MAX));
		size_t n = strlen(more);
		assert_true(r->msglen >= n);
		assert_string_equal(r->msgs + r->msglen - n, more);
	}
	if (r->m) {
		assert_int_equal(pods_count(r->m), s->pods);
		assert_int_equal(pods_addresses(r->m), s->addresses);
		assert_memory_equal(pods_map_stats(r->m), s, sizeof(*s));
	}
}

/* Parses buf[len] as "t.json" (raw bytes, no quote turning). */
static struct pod_map *run_raw(struct run *r, const char *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	memset(&r->st, 0xa5, sizeof(r->st)); /* must be overwritten */
	FILE *f = open_memstream(&r->msgs, &r->msglen);
	assert_non_null(f);
	r->m = pods_parse("t.json", buf, len, f, &r->st, r->err, sizeof(r->err));
	fclose(f);
	count_lines(r);
	if (!r->m)
		assert_true(r->err[0] != '\0');
	check_sums(r);
	return r->m;
}

static struct pod_map *run(struct run *r, const char *json)
{
	char *t = q(json);
	run_raw(r, t, strlen(t));
	free(t);
	return r->m;
}

static void done(struct run *r)
{
	pods_free(r->m);
	free(r->msgs);
	r->m = NULL;
	r->msgs = NULL;
}

/* whether some message line holds s */
static bool has_msg(const struct run *r, const char *s)
{
	return r->msgs && strstr(r->msgs, s) != NULL;
}

static const struct pod *find(const struct pod_map *m, const char *ip)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, ip, a) == 1)
		return pods_find(m, 4, a);
	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	return pods_find(m, 6, a);
}

/* the pod's key address, as text */
static const char *key_text(const struct pod *p, char *out, size_t cap)
{
	assert_non_null(inet_ntop(p->ipver == 4 ? AF_INET : AF_INET6, p->addr, out, (socklen_t)cap));
	return out;
}

#define POD(ns, name, ip) \
	"{'metadata':{'namespace':'" ns "','name':'" name "'},'status':{'podIP':'" ip "'}}"
#define LIST(...) "{'apiVersion':'v1','kind':'List','items':[" __VA_ARGS__ "]}"

/* ---- input forms ---- */

static void test_podlist(void **state)
{
	(void)state;
	struct run r;
	run(&r, "{'apiVersion':'v1','kind':'PodList','metadata':{'resourceVersion':'9'},'items':["
		"{'apiVersion':'v1','kind':'Pod','metadata':{'namespace':'shop','name':'web-7d9f-abcde',"
		"  'labels':{'app':'web','pod-template-hash':'7d9f'},"
		"  'ownerReferences':[{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'web-7d9f',"
		"    'controller':true,'blockOwnerDeletion':true,'uid':'u1'}]},"
		" 'spec':{'nodeName':'node-1','serviceAccountName':'web-sa','serviceAccount':'web-sa',"
		"  'containers':[{'name':'web','image':'nginx:1.25','resources':{}}]},"
		" 'status':{'phase':'Running','podIP':'10.1.2.3','podIPs':[{'ip':'10.1.2.3'}]}},"
		POD("shop", "db-0", "10.1.2.4") "]}");
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 2);
	assert_int_equal(r.st.pods, 2);
	assert_int_equal(r.st.addresses, 2);
	assert_int_equal(r.lines, 0);
	const struct pod *p = find(r.m, "10.1.2.3");
	assert_non_null(p);
	assert_string_equal(p->ns, "shop");
	assert_string_equal(p->name, "web-7d9f-abcde");
	assert_string_equal(p->node, "node-1");
	assert_string_equal(p->app, "web");
	assert_string_equal(p->service_account, "web-sa");
	assert_string_equal(p->owner_kind, "ReplicaSet");
	assert_string_equal(p->owner_name, "web-7d9f");
	assert_int_equal(p->nimages, 1);
	assert_string_equal(p->images[0], "nginx:1.25");
	assert_null(p->images[1]);
	assert_int_equal(p->ipver, 4);
	const uint8_t key[16] = { 10, 1, 2, 3 };
	assert_memory_equal(p->addr, key, 16);
	/* the other pod: every string "" when absent, never NULL */
	const struct pod *d = find(r.m, "10.1.2.4");
	assert_non_null(d);
	assert_ptr_not_equal(d, p);
	assert_string_equal(d->name, "db-0");
	assert_ptr_equal(d->ns, p->ns); /* one copy of each distinct string */
	assert_string_equal(d->node, "");
	assert_string_equal(d->app, "");
	assert_string_equal(d->service_account, "");
	assert_string_equal(d->owner_kind, "");
	assert_string_equal(d->owner_name, "");
	assert_int_equal(d->nimages, 0);
	assert_non_null(d->images);
	assert_null(find(r.m, "10.1.2.5"));
	assert_true(pods_bytes(r.m) > 2 * sizeof(struct pod));
	done(&r);
}

static void test_list_other_kinds(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST("{'kind':'Service','metadata':{'namespace':'a','name':'svc'},"
		     " 'spec':{'clusterIP':'10.96.0.1'},'status':{'podIP':'10.0.0.9'}},"
		     "{'kind':'Pod','metadata':{'namespace':'a','name':'p1'},'status':{'podIP':'10.0.0.1'}},"
		     POD("a", "p2", "10.0.0.2") ","
		     "{'kind':'Pods','metadata':{'namespace':'a','name':'p3'},'status':{'podIP':'10.0.0.3'}}"));
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 4);
	assert_int_equal(r.st.not_pods, 2);
	assert_int_equal(r.st.pods, 2); /* a Pod, and an item without kind */
	assert_null(find(r.m, "10.0.0.9"));
	assert_null(find(r.m, "10.0.0.3"));
	assert_string_equal(find(r.m, "10.0.0.1")->name, "p1");
	assert_string_equal(find(r.m, "10.0.0.2")->name, "p2");
	assert_int_equal(r.lines, 0);
	done(&r);

	/* an empty list is a map with nothing in it */
	run(&r, "{'kind':'PodList','items':[]}");
	assert_non_null(r.m);
	assert_int_equal(pods_count(r.m), 0);
	assert_null(find(r.m, "10.0.0.1"));
	done(&r);
}

static void test_single_pod(void **state)
{
	(void)state;
	struct run r;
	run(&r, "  {'kind':'Pod','metadata':{'namespace':'kube-system','name':'coredns-1'},"
		"'spec':{'nodeName':'n2'},'status':{'podIP':'10.244.0.5'}}\n\n");
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 1);
	assert_int_equal(r.st.pods, 1);
	assert_string_equal(find(r.m, "10.244.0.5")->node, "n2");
	done(&r);
	/* a single pod not mapped still counts as an item */
	run(&r, "{'kind':'Pod','metadata':{'namespace':'a','name':'b'},'status':{'phase':'Pending'}}");
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 1);
	assert_int_equal(r.st.no_address, 1);
	done(&r);
}

/* ---- addresses ---- */

static void test_dual_stack(void **state)
{
	(void)state;
	struct run r;
	char t[64];
	run(&r, LIST("{'metadata':{'namespace':'a','name':'ds'},'status':{'podIP':'10.0.0.1',"
		     " 'podIPs':[{'ip':'10.0.0.1'},{'ip':'fd00:10::1'}]}},"
		     "{'metadata':{'namespace':'a','name':'six-first'},'status':{'podIP':'10.0.0.2',"
		     " 'podIPs':[{'ip':'fd00:10::2'},{'ip':'10.0.0.2'}]}},"
		     /* podIPs wins over podIP when both are given */
		     "{'metadata':{'namespace':'a','name':'both'},'status':{'podIP':'10.9.9.9',"
		     " 'podIPs':[{'ip':'10.0.0.3'}]}},"
		     /* the same address twice in one pod is no conflict */
		     "{'metadata':{'namespace':'a','name':'twice'},'status':{"
		     " 'podIPs':[{'ip':'10.0.0.4'},{'ip':'10.0.0.4'}]}}"));
	assert_non_null(r.m);
	assert_int_equal(r.st.pods, 4);
	assert_int_equal(r.st.addresses, 6);
	assert_int_equal(r.st.address_conflicts, 0);
	const struct pod *p = find(r.m, "10.0.0.1");
	assert_non_null(p);
	assert_ptr_equal(find(r.m, "fd00:10::1"), p);
	assert_string_equal(key_text(p, t, sizeof(t)), "10.0.0.1");
	p = find(r.m, "fd00:10::2");
	assert_non_null(p);
	assert_string_equal(p->name, "six-first");
	assert_ptr_equal(find(r.m, "10.0.0.2"), p);
	assert_int_equal(p->ipver, 6);
	assert_string_equal(key_text(p, t, sizeof(t)), "fd00:10::2");
	assert_string_equal(find(r.m, "10.0.0.3")->name, "both");
	assert_null(find(r.m, "10.9.9.9"));
	assert_string_equal(find(r.m, "10.0.0.4")->name, "twice");
	assert_int_equal(pods_addresses(r.m), 6);
	done(&r);
}

static void test_podip_fallback(void **state)
{
	(void)state;
	struct run r;
	/* no podIPs, podIPs empty, podIPs of the wrong type: podIP */
	run(&r, LIST("{'metadata':{'namespace':'a','name':'p1'},'status':{'podIP':'10.0.0.1'}},"
		     "{'metadata':{'namespace':'a','name':'p2'},'status':{'podIP':'10.0.0.2','podIPs':[]}},"
		     "{'metadata':{'namespace':'a','name':'p3'},'status':{'podIP':'10.0.0.3','podIPs':7}}"));
	assert_non_null(r.m);
	assert_int_equal(r.st.pods, 3);
	assert_string_equal(find(r.m, "10.0.0.1")->name, "p1");
	assert_string_equal(find(r.m, "10.0.0.2")->name, "p2");
	assert_string_equal(find(r.m, "10.0.0.3")->name, "p3");
	done(&r);
}

static void test_ipv4_mapped(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST(POD("a", "mapped", "::ffff:10.1.2.3") "," POD("a", "plain", "10.1.2.4")));
	assert_non_null(r.m);
	const struct pod *p = find(r.m, "10.1.2.3");
	assert_non_null(p);
	assert_string_equal(p->name, "mapped");
	assert_int_equal(p->ipver, 4);
	const uint8_t key[16] = { 10, 1, 2, 3 };
	assert_memory_equal(p->addr, key, 16);
	assert_ptr_equal(find(r.m, "::ffff:10.1.2.3"), p);
	assert_string_equal(find(r.m, "::ffff:10.1.2.4")->name, "plain");
	assert_null(find(r.m, "::10.1.2.4")); /* IPv4-compatible is not mapped */
	/* other address families find nothing */
	uint8_t a[16] = { 10, 1, 2, 4 };
	assert_non_null(pods_find(r.m, 4, a));
	assert_null(pods_find(r.m, 0, a));
	assert_null(pods_find(r.m, 5, a));
	assert_null(pods_find(r.m, 4, NULL));
	done(&r);
}

static void test_find_null(void **state)
{
	(void)state;
	uint8_t a[16] = { 10, 0, 0, 1 };
	assert_null(pods_find(NULL, 4, a));
	assert_null(pods_find(NULL, 6, a));
	assert_int_equal(pods_count(NULL), 0);
	assert_int_equal(pods_addresses(NULL), 0);
	assert_int_equal(pods_bytes(NULL), 0);
	assert_non_null(pods_map_stats(NULL));
	assert_int_equal(pods_map_stats(NULL)->items, 0);
	pods_free(NULL);
}

/* ---- pods not mapped ---- */

static void test_not_mapped(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST("{'metadata':{'namespace':'kube-system','name':'kube-proxy-x'},"
		     " 'spec':{'hostNetwork':true},'status':{'podIP':'10.0.0.1','podIPs':[{'ip':'10.0.0.1'}]}},"
		     "{'metadata':{'namespace':'a','name':'job-1'},'status':{'phase':'Succeeded','podIP':'10.0.1.1'}},"
		     "{'metadata':{'namespace':'a','name':'job-2'},'status':{'phase':'Failed','podIP':'10.0.1.2'}},"
		     "{'metadata':{'namespace':'a','name':'new'},'status':{'phase':'Pending'}},"
		     "{'metadata':{'namespace':'a','name':'new2'},'status':{'phase':'Pending','podIPs':[]}},"
		     /* hostNetwork false, or not a boolean, is not host network */
		     "{'metadata':{'namespace':'a','name':'hn-false'},'spec':{'hostNetwork':false},"
		     " 'status':{'phase':'Running','podIP':'10.0.2.1'}},"
		     "{'metadata':{'namespace':'a','name':'hn-text'},'spec':{'hostNetwork':'true'},"
		     " 'status':{'podIP':'10.0.2.2'}},"
		     /* another phase, or a phase not quite 'Failed', is mapped */
		     "{'metadata':{'namespace':'a','name':'unknown'},'status':{'phase':'Unknown','podIP':'10.0.2.3'}},"
		     "{'metadata':{'namespace':'a','name':'failed-nul'},'status':{'phase':'Failed\\u0000x','podIP':'10.0.2.4'}}"));
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 9);
	assert_int_equal(r.st.host_network, 1);
	assert_int_equal(r.st.finished, 2);
	assert_int_equal(r.st.no_address, 2);
	assert_int_equal(r.st.pods, 4);
	assert_null(find(r.m, "10.0.0.1"));
	assert_null(find(r.m, "10.0.1.1"));
	assert_null(find(r.m, "10.0.1.2"));
	assert_string_equal(find(r.m, "10.0.2.1")->name, "hn-false");
	assert_string_equal(find(r.m, "10.0.2.2")->name, "hn-text");
	assert_string_equal(find(r.m, "10.0.2.4")->name, "failed-nul");
	assert_int_equal(r.lines, 0); /* these are normal, not bad parts */
	done(&r);
}

/* ---- what a pod gives ---- */

static void test_app_and_account(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST("{'metadata':{'namespace':'a','name':'p1','labels':{'app':'one'}},'status':{'podIP':'10.0.0.1'}},"
		     "{'metadata':{'namespace':'a','name':'p2','labels':{'app.kubernetes.io/name':'two'}},"
		     " 'spec':{'serviceAccount':'old-sa'},'status':{'podIP':'10.0.0.2'}},"
		     "{'metadata':{'namespace':'a','name':'p3','labels':{'app.kubernetes.io/name':'long',"
		     "  'app':'short'}},'spec':{'serviceAccountName':'new-sa','serviceAccount':'old-sa'},"
		     " 'status':{'podIP':'10.0.0.3'}},"
		     /* app of the wrong type is absent: the other label counts */
		     "{'metadata':{'namespace':'a','name':'p4','labels':{'app':7,'app.kubernetes.io/name':'four'}},"
		     " 'spec':{'serviceAccountName':null,'serviceAccount':'sa4'},'status':{'podIP':'10.0.0.4'}}"));
	assert_non_null(r.m);
	const struct pod *p = find(r.m, "10.0.0.1");
	assert_string_equal(p->app, "one");
	assert_string_equal(p->service_account, "");
	p = find(r.m, "10.0.0.2");
	assert_string_equal(p->app, "two");
	assert_string_equal(p->service_account, "old-sa");
	p = find(r.m, "10.0.0.3");
	assert_string_equal(p->app, "short");
	assert_string_equal(p->service_account, "new-sa");
	p = find(r.m, "10.0.0.4");
	assert_string_equal(p->app, "four");
	assert_string_equal(p->service_account, "sa4");
	done(&r);
}

static void test_images(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST("{'metadata':{'namespace':'a','name':'p1'},'spec':{"
		     " 'containers':[{'name':'c1','image':'app:1'},{'name':'c2','image':'sidecar:2'},"
		     "   {'name':'c3','image':'app:1'},{'name':'c4'},{'name':'c5','image':5}],"
		     " 'initContainers':[{'name':'i1','image':'init:1'},{'name':'i2','image':'app:1'}],"
		     " 'ephemeralContainers':[{'name':'e1','image':'debug:1'},{'name':'e2','image':'init:1'}]},"
		     " 'status':{'podIP':'10.0.0.1'}},"
		     /* the same images: the same list */
		     "{'metadata':{'namespace':'a','name':'p2'},'spec':{"
		     " 'initContainers':[{'image':'init:1'}],'containers':[{'image':'app:1'},{'image':'sidecar:2'}],"
		     " 'ephemeralContainers':[{'image':'debug:1'}]},'status':{'podIP':'10.0.0.2'}},"
		     /* eleven distinct images (and repeats of cut ones): 8 kept, 3 cut */
		     "{'metadata':{'namespace':'a','name':'p3'},'spec':{'containers':["
		     " {'image':'i0'},{'image':'i1'},{'image':'i2'},{'image':'i3'},{'image':'i4'},"
		     " {'image':'i5'},{'image':'i6'},{'image':'i7'},{'image':'i8'},{'image':'i9'},"
		     " {'image':'i8'},{'image':'i0'},{'image':'i10'},{'image':'i9'}]},"
		     " 'status':{'podIP':'10.0.0.3'}},"
		     "{'metadata':{'namespace':'a','name':'p4'},'spec':{'containers':{'image':'x'}},"
		     " 'status':{'podIP':'10.0.0.4'}}"));
	assert_non_null(r.m);
	const struct pod *p = find(r.m, "10.0.0.1");
	assert_int_equal(p->nimages, 4);
	assert_string_equal(p->images[0], "init:1");
	assert_string_equal(p->images[1], "app:1");
	assert_string_equal(p->images[2], "sidecar:2");
	assert_string_equal(p->images[3], "debug:1");
	assert_null(p->images[4]);
	const struct pod *p2 = find(r.m, "10.0.0.2");
	assert_int_equal(p2->nimages, 4);
	assert_ptr_equal(p2->images, p->images);
	p = find(r.m, "10.0.0.3");
	assert_int_equal(p->nimages, POD_IMAGES_MAX);
	for (int i = 0; i < POD_IMAGES_MAX; i++) {
		char want[32];
		snprintf(want, sizeof(want), "i%d", i);
		assert_string_equal(p->images[i], want);
	}
	assert_int_equal(r.st.images_cut, 3);
	assert_int_equal(find(r.m, "10.0.0.4")->nimages, 0);
	assert_int_equal(r.lines, 0);
	done(&r);
}

static void test_owner(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST("{'metadata':{'namespace':'a','name':'p1','ownerReferences':["
		     " {'kind':'ConfigMap','name':'cm'},{'kind':'StatefulSet','name':'db','controller':true}]},"
		     " 'status':{'podIP':'10.0.0.1'}},"
		     "{'metadata':{'namespace':'a','name':'p2','ownerReferences':["
		     " {'kind':'Job','name':'j1','controller':false},{'kind':'CronJob','name':'cj'}]},"
		     " 'status':{'podIP':'10.0.0.2'}},"
		     /* controller as text is no controller; entries not objects skipped */
		     "{'metadata':{'namespace':'a','name':'p3','ownerReferences':["
		     " 'x',{'kind':'DaemonSet','name':'ds'},{'kind':'Node','name':'n','controller':'true'}]},"
		     " 'status':{'podIP':'10.0.0.3'}},"
		     /* two controllers (not valid in Kubernetes): the first */
		     "{'metadata':{'namespace':'a','name':'p4','ownerReferences':["
		     " {'kind':'A','name':'a'},{'kind':'B','name':'b','controller':true},"
		     " {'kind':'C','name':'c','controller':true}]},'status':{'podIP':'10.0.0.4'}}"));
	assert_non_null(r.m);
	const struct pod *p = find(r.m, "10.0.0.1");
	assert_string_equal(p->owner_kind, "StatefulSet");
	assert_string_equal(p->owner_name, "db");
	p = find(r.m, "10.0.0.2");
	assert_string_equal(p->owner_kind, "Job");
	assert_string_equal(p->owner_name, "j1");
	p = find(r.m, "10.0.0.3");
	assert_string_equal(p->owner_kind, "DaemonSet");
	assert_string_equal(p->owner_name, "ds");
	p = find(r.m, "10.0.0.4");
	assert_string_equal(p->owner_kind, "B");
	assert_string_equal(p->owner_name, "b");
	done(&r);
}

/* ---- bad parts ---- */

static void test_conflicts(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST(POD("a", "first", "10.0.0.1") ","
		     "{'metadata':{'namespace':'b','name':'second'},'status':{"
		     " 'podIPs':[{'ip':'10.0.0.1'},{'ip':'10.0.0.2'}]}},"
		     POD("c", "third", "::ffff:10.0.0.2")));
	assert_non_null(r.m);
	assert_int_equal(r.st.address_conflicts, 2);
	assert_string_equal(find(r.m, "10.0.0.1")->name, "first");
	const struct pod *p = find(r.m, "10.0.0.2");
	assert_string_equal(p->name, "second");
	/* its key is its first address of its own */
	const uint8_t key[16] = { 10, 0, 0, 2 };
	assert_memory_equal(p->addr, key, 16);
	/* a pod left without an address of its own is not mapped */
	assert_int_equal(r.st.pods, 2);
	assert_int_equal(r.st.no_address, 1);
	assert_true(has_msg(&r, "t.json: item 1 (b/second): status.podIPs[0].ip '10.0.0.1' is "
				"already pod a/first's, kept there\n"));
	assert_true(has_msg(&r, "t.json: item 2 (c/third): status.podIP '::ffff:10.0.0.2' is "
				"already pod b/second's"));
	done(&r);
}

static void test_bad_items(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST("7,null,[],'pod',"
		     "{'status':{'podIP':'10.0.0.1'}},"
		     "{'metadata':{'namespace':'a'},'status':{'podIP':'10.0.0.2'}},"
		     "{'metadata':{'namespace':'a','name':5},'status':{'podIP':'10.0.0.3'}},"
		     "{'metadata':{'name':'x'},'status':{'podIP':'10.0.0.4'}},"
		     "{'metadata':{'namespace':'a','name':''},'status':{'podIP':'10.0.0.5'}},"
		     "{'metadata':'a/b','status':{'podIP':'10.0.0.6'}},"
		     POD("a", "good", "10.0.0.7")));
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 11);
	assert_int_equal(r.st.bad_items, 10);
	assert_int_equal(r.st.pods, 1);
	for (int i = 1; i <= 6; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		assert_null(find(r.m, ip));
	}
	assert_string_equal(find(r.m, "10.0.0.7")->name, "good");
	assert_true(has_msg(&r, "t.json: item 0: not an object\n"));
	assert_true(has_msg(&r, "t.json: item 3: not an object\n"));
	assert_true(has_msg(&r, "t.json: item 4: metadata.namespace is missing\n"));
	assert_true(has_msg(&r, "t.json: item 5: metadata.name is missing\n"));
	assert_true(has_msg(&r, "t.json: item 6: metadata.name is not a string\n"));
	assert_true(has_msg(&r, "t.json: item 7: metadata.namespace is missing\n"));
	assert_true(has_msg(&r, "t.json: item 8: metadata.name is empty\n"));
	done(&r);
}

static void test_bad_addresses(void **state)
{
	(void)state;
	struct run r;
	run(&r, LIST("{'metadata':{'namespace':'ns','name':'p'},'status':{'podIPs':["
		     " {'ip':'10.0.0.1'},{'ip':'x'},{'ip':'10.0.0.256'},{'ip':'fe80::1%eth0'},{'ip':''},"
		     " {'ip':'fd00::1'},{'ip':' 10.0.0.9'},{'ip':7},'10.0.0.8']}},"
		     "{'metadata':{'namespace':'ns','name':'q'},'status':{'podIP':'10.0.0.2/32'}}"));
	assert_non_null(r.m);
	assert_int_equal(r.st.bad_addresses, 6);
	assert_int_equal(r.st.pods, 1);
	assert_int_equal(r.st.addresses, 2);
	assert_int_equal(r.st.no_address, 1);
	const struct pod *p = find(r.m, "10.0.0.1");
	assert_non_null(p);
	assert_ptr_equal(find(r.m, "fd00::1"), p);
	assert_null(find(r.m, "10.0.0.8"));
	assert_true(has_msg(&r, "t.json: item 0 (ns/p): status.podIPs[1].ip 'x' is not an IP address\n"));
	assert_true(has_msg(&r, "status.podIPs[3].ip 'fe80::1%eth0' is not an IP address\n"));
	assert_true(has_msg(&r, "status.podIPs[4].ip '' is not an IP address\n"));
	assert_true(has_msg(&r, "t.json: item 1 (ns/q): status.podIP '10.0.0.2/32' is not an IP address\n"));
	done(&r);
}

/* a JSON string value of n bytes c */
static char *long_str(size_t n, char c)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_bad_strings(void **state)
{
	(void)state;
	struct run r;
	char *s256 = long_str(POD_STR_MAX, 'n'), *s257 = long_str(POD_STR_MAX + 1, 'm');
	char *json = malloc(4096);
	assert_non_null(json);
	snprintf(json, 4096,
		 LIST("{'metadata':{'namespace':'a','name':'p1','labels':{'app':'x\\u0001y',"
		      "  'app.kubernetes.io/name':'fallback'}},"
		      " 'spec':{'nodeName':'%s','serviceAccountName':'del\\u007f',"
		      "  'containers':[{'image':'ok:1'},{'image':'tab\\there'}]},"
		      " 'status':{'podIP':'10.0.0.1'}},"
		      "{'metadata':{'namespace':'a','name':'p2'},'spec':{'nodeName':'%s'},"
		      " 'status':{'podIP':'10.0.0.2'}},"
		      "{'metadata':{'namespace':'a','name':'%s'},'status':{'podIP':'10.0.0.3'}},"
		      "{'metadata':{'namespace':'a\\u0000b','name':'p4'},'status':{'podIP':'10.0.0.4'}},"
		      /* UTF-8 is not a control byte */
		      "{'metadata':{'namespace':'a','name':'p5','labels':{'app':'caf\\u00e9'}},"
		      " 'status':{'podIP':'10.0.0.5'}}"),
		 s257, s256, s257);
	run(&r, json);
	assert_non_null(r.m);
	/* app, serviceAccountName, an image, p1's nodeName, p3's name, p4's namespace */
	assert_int_equal(r.st.bad_strings, 6);
	assert_int_equal(r.st.bad_items, 2);
	assert_int_equal(r.st.pods, 3);
	const struct pod *p = find(r.m, "10.0.0.1");
	assert_string_equal(p->app, "fallback");
	assert_string_equal(p->node, "");
	assert_string_equal(p->service_account, "");
	assert_int_equal(p->nimages, 1);
	assert_string_equal(p->images[0], "ok:1");
	assert_string_equal(find(r.m, "10.0.0.2")->node, s256);
	assert_null(find(r.m, "10.0.0.3"));
	assert_null(find(r.m, "10.0.0.4"));
	assert_string_equal(find(r.m, "10.0.0.5")->app, "caf\xc3\xa9");
	assert_true(has_msg(&r, "t.json: item 0 (a/p1): metadata.labels.app 'x\\x01y' holds a "
				"control byte\n"));
	assert_true(has_msg(&r, "spec.serviceAccountName 'del\\x7f' holds a control byte\n"));
	assert_true(has_msg(&r, "spec.containers[1].image 'tab\\x09here' holds a control byte\n"));
	/* excerpts are cut at 60 bytes */
	char want[160];
	snprintf(want, sizeof(want), "spec.nodeName '%.60s...' is 257 bytes, more than 256\n", s257);
	assert_true(has_msg(&r, want));
	assert_true(has_msg(&r, "t.json: item 2: metadata.name 'mmmm"));
	assert_true(has_msg(&r, "t.json: item 2: metadata.name is not usable\n"));
	assert_true(has_msg(&r, "t.json: item 3: metadata.namespace 'a\\x00b' holds a control byte\n"));
	free(json);
	free(s256);
	free(s257);
	done(&r);
}

static void test_wrong_types(void **state)
{
	(void)state;
	struct run r;
	/* fields of the wrong type are absent, without a message */
	run(&r, LIST("{'metadata':{'namespace':'a','name':'p','labels':['app'],'ownerReferences':{}},"
		     " 'spec':{'nodeName':5,'serviceAccountName':true,'containers':[{'image':['x']}]},"
		     " 'status':{'phase':3,'podIP':'10.0.0.1'}},"
		     "{'metadata':{'namespace':'a','name':'q'},'spec':7,'status':{'podIP':['10.0.0.2']}}"));
	assert_non_null(r.m);
	const struct pod *p = find(r.m, "10.0.0.1");
	assert_non_null(p);
	assert_string_equal(p->node, "");
	assert_string_equal(p->app, "");
	assert_string_equal(p->service_account, "");
	assert_string_equal(p->owner_kind, "");
	assert_int_equal(p->nimages, 0);
	assert_int_equal(r.st.no_address, 1);
	assert_int_equal(r.lines, 0);
	done(&r);
}

static void test_message_cap(void **state)
{
	(void)state;
	struct run r;
	char json[2048] = "{'kind':'List','items':[{'metadata':{'namespace':'a','name':'p'},"
			  "'status':{'podIPs':[";
	for (int i = 0; i < 15; i++)
		snprintf(json + strlen(json), sizeof(json) - strlen(json), "%s{'ip':'bad%d'}",
			 i ? "," : "", i);
	strcat(json, ",{'ip':'10.0.0.1'}]}}]}");
	run(&r, json);
	assert_non_null(r.m);
	assert_int_equal(r.st.bad_addresses, 15);
	assert_int_equal(r.lines, PODS_MESSAGES_MAX + 1);
	assert_true(has_msg(&r, "status.podIPs[9].ip 'bad9'"));
	assert_false(has_msg(&r, "bad10"));
	assert_true(has_msg(&r, "t.json: 5 more messages not shown\n"));
	done(&r);

	/* no stream: no messages, the same map */
	struct pods_stats st;
	char err[256];
	char *t = q(json);
	struct pod_map *m = pods_parse("t.json", t, strlen(t), NULL, &st, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(st.bad_addresses, 15);
	assert_non_null(find(m, "10.0.0.1"));
	pods_free(m);
	/* nor counters */
	m = pods_parse("t.json", t, strlen(t), NULL, NULL, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(pods_map_stats(m)->bad_addresses, 15);
	pods_free(m);
	free(t);
}

/* ---- whole-file errors ---- */

/* buf[len] fails with a message holding want */
static void fails_raw(const char *buf, size_t len, const char *want)
{
	struct run r;
	run_raw(&r, buf, len);
	if (r.m || !strstr(r.err, want))
		fail_msg("got %s '%s', want an error with '%s'", r.m ? "a map" : "error", r.err, want);
	assert_true(strncmp(r.err, "pod list 't.json': ", 19) == 0);
	done(&r);
}

static void fails(const char *json, const char *want)
{
	char *t = q(json);
	fails_raw(t, strlen(t), want);
	free(t);
}

static void test_file_errors(void **state)
{
	(void)state;
	fails("", "pod list 't.json': empty");
	fails(" \n\t ", "pod list 't.json': empty");
	fails("{'kind':'List','items':[}", "pod list 't.json': not JSON at byte 24: ");
	fails("{'kind':'List','items':[", "not JSON at byte 24: unexpected end of data");
	fails("{'kind':'List', 'items':[]} x", "not JSON at byte 28: data after the value");
	fails("{'kind':'List','items':[]}{}", "not JSON at byte 26");
	fails("{'kind':'List','items':[],}", "not JSON at byte"); /* strict */
	fails("{kind:'List','items':[]}", "not JSON at byte 1");
	fails("{'kind':'Service','items':[]}", "not a PodList, List or Pod (kind 'Service')");
	fails("{'kind':'Pod\\u0001','items':[]}", "not a PodList, List or Pod (kind 'Pod\\x01')");
	fails("{'items':[]}", "not a PodList, List or Pod (no kind)");
	fails("{'kind':7,'items':[]}", "not a PodList, List or Pod (no kind)");
	fails("[{'kind':'Pod'}]", "not a PodList, List or Pod (not a JSON object)");
	fails("null", "not a PodList, List or Pod (not a JSON object)");
	fails("{'kind':'List'}", "pod list 't.json': no \"items\" array");
	fails("{'kind':'PodList','items':{}}", "no \"items\" array");
	fails_raw("{\"kind\":\"List\",\"items\":[]}", 10, "unexpected end of data");
	/* larger than PODS_FILE_MAX: refused before a byte is read */
	fails_raw("{}", (size_t)PODS_FILE_MAX + 1, "larger than 1073741824 bytes");

	/* nesting: PODS_DEPTH_MAX levels parse, one more does not */
	char deep[1024];
	for (int extra = 0; extra <= 1; extra++) {
		int d = PODS_DEPTH_MAX - 3 + extra; /* list, items, pod, then d arrays */
		size_t n = (size_t)snprintf(deep, sizeof(deep),
					    "{\"kind\":\"List\",\"items\":[{\"metadata\":{\"namespace\":"
					    "\"a\",\"name\":\"b\"},\"status\":{\"podIP\":\"10.0.0.1\"},"
					    "\"x\":");
		for (int i = 0; i < d; i++)
			deep[n++] = '[';
		for (int i = 0; i < d; i++)
			deep[n++] = ']';
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "}]}");
		if (extra) {
			fails_raw(deep, n, "nesting too deep");
		} else {
			struct run r;
			assert_non_null(run_raw(&r, deep, n));
			assert_int_equal(r.st.pods, 1);
			done(&r);
		}
	}

	/* counters are written on errors too */
	struct run r;
	run(&r, "{'kind':'Service'}");
	assert_null(r.m);
	assert_int_equal(r.st.items, 0);
	assert_int_equal(r.st.pods, 0);
	done(&r);
}

static void test_too_many_items(void **state)
{
	(void)state;
	size_t n = PODS_MAX + 1;
	char *json = malloc(32 + 2 * n);
	assert_non_null(json);
	size_t len = (size_t)sprintf(json, "{\"kind\":\"List\",\"items\":[");
	for (size_t i = 0; i < n; i++) {
		json[len++] = '0';
		json[len++] = ',';
	}
	json[len - 1] = ']';
	json[len++] = '}';
	fails_raw(json, len, "1000001 items, more than 1000000");
	free(json);
}

static void test_load(void **state)
{
	(void)state;
	char err[512];
	struct pods_stats st;
	memset(&st, 0xa5, sizeof(st));
	assert_null(pods_load("/nonexistent/pods.json", NULL, &st, err, sizeof(err)));
	assert_string_equal(err,
			    "cannot read pod list '/nonexistent/pods.json': No such file or directory");
	assert_int_equal(st.items, 0);
	assert_null(pods_load("/", NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "cannot read pod list '/': Is a directory");

	char path[] = "/tmp/davy-pods-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char *json = q(LIST(POD("a", "p1", "10.0.0.1") "," POD("a", "p2", "x")));
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	char *msgs = NULL;
	size_t msglen = 0;
	FILE *f = open_memstream(&msgs, &msglen);
	assert_non_null(f);
	struct pod_map *m = pods_load(path, f, &st, err, sizeof(err));
	fclose(f);
	assert_non_null(m);
	assert_int_equal(st.pods, 1);
	assert_int_equal(st.bad_addresses, 1);
	assert_string_equal(find(m, "10.0.0.1")->name, "p1");
	char want[128];
	snprintf(want, sizeof(want), "%s: item 1 (a/p2): status.podIP 'x' is not an IP address\n",
		 path);
	assert_string_equal(msgs, want);
	pods_free(m);
	free(msgs);

	/* errors in the content name the path too */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"kind\":", 8), 8);
	close(fd);
	assert_null(pods_load(path, NULL, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "pod list '%s': not JSON at byte 8", path);
	assert_non_null(strstr(err, want));
	unlink(path);
	free(json);
}

/* ---- the scanner: the list read one item at a time ---- */

/* json-c's strict parse of the whole of buf[len] (what pods_parse did
 * before it read item by item): whether it takes it, and its error as
 * pods_parse words it ("not JSON at byte N: REASON") in why. */
static bool whole_ok(const char *buf, size_t len, char *why, size_t cap)
{
	struct json_tokener *tok = json_tokener_new_ex(PODS_DEPTH_MAX);
	assert_non_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	struct json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		if (e != json_tokener_success)
			e = json_tokener_error_parse_eof;
		end = len;
	}
	json_object_put(o);
	json_tokener_free(tok);
	snprintf(why, cap, "not JSON at byte %zu: %s", end, json_tokener_error_desc(e));
	if (e != json_tokener_success)
		return false;
	for (size_t i = end; i < len; i++) {
		if (!strchr(" \t\r\n", buf[i]) || !buf[i]) {
			snprintf(why, cap, "not JSON at byte %zu: data after the value", i);
			return false;
		}
	}
	return true;
}

/* buf[len] parsed: it is "not JSON" (or "empty") exactly when json-c's
 * whole parse says so; when same_byte, at the byte json-c names (and for
 * the reason it gives). The run is left in r. */
static struct pod_map *agree_raw(struct run *r, const char *buf, size_t len, bool same_byte)
{
	char why[128];
	bool ok = whole_ok(buf, len, why, sizeof(why));
	run_raw(r, buf, len);
	bool not_json = !r->m && (strstr(r->err, "not JSON at byte") || strstr(r->err, ": empty"));
	if (ok == not_json)
		fail_msg("json-c %s, pods_parse: '%s'", ok ? "takes it" : why, r->err);
	if (!ok && same_byte && !strstr(r->err, ": empty") && !strstr(r->err, why))
		fail_msg("got '%s', json-c: '%s'", r->err, why);
	return r->m;
}

static struct pod_map *agree(struct run *r, const char *json, bool same_byte)
{
	char *t = q(json);
	agree_raw(r, t, strlen(t), same_byte);
	free(t);
	return r->m;
}

/* json fails, as with json-c, with an error holding want */
static void rejects(const char *json, const char *want)
{
	struct run r;
	agree(&r, json, true);
	if (r.m || !strstr(r.err, want))
		fail_msg("got %s '%s', want an error with '%s'", r.m ? "a map" : "error", r.err, want);
	assert_int_equal(r.st.items, 0); /* nothing counted, nothing said */
	assert_int_equal(r.msglen, 0);
	done(&r);
}

static void test_scan_strings(void **state)
{
	(void)state;
	struct run r;
	/* quotes, brackets and backslashes inside keys and values */
	agree(&r,
	      "{'k\\'}]':'a\\'}]','kind':'List','x':['\\\\','\\'','{[','\\u0022}'],'items':["
	      "{'metadata':{'namespace':'a\\'}]','name':'b\\\\','q\\'{[':'\\'}]'},"
	      "'status':{'podIP':'10.0.0.1'},'spec':{'nodeName':'n\\'}]\\u005d'}}]}",
	      true);
	assert_non_null(r.m);
	assert_int_equal(r.st.pods, 1);
	const struct pod *p = find(r.m, "10.0.0.1");
	assert_non_null(p);
	assert_string_equal(p->ns, "a\"}]");
	assert_string_equal(p->name, "b\\");
	assert_string_equal(p->node, "n\"}]]");
	done(&r);
	/* an item's escapes are json-c's to check: a bad one fails the file */
	rejects(LIST(POD("a", "b\\q", "10.0.0.1")), "not JSON at byte 81: invalid string sequence");
	agree(&r, LIST(POD("a", "b\\q", "10.0.0.1")), true);
	done(&r);
	rejects(LIST(POD("a", "b\\u12x4", "10.0.0.1")), "invalid string sequence");
	/* and so are the top level's, in keys and values alike */
	rejects("{'kind':'List','items':[],'x':'\\q'}", "not JSON at byte 32: invalid string");
	rejects("{'kind':'List','items':[],'\\q':1}", "not JSON at byte 28: invalid string");
	rejects("{'kind':'List','items':[],'x\\", "not JSON at byte 29: unexpected end of data");
	/* a key spelt with an escape is not "items" or "kind" (json-c would
	 * decode it: kubectl never writes one) */
	run(&r, "{'kind':'List','it\\u0065ms':[]}");
	assert_null(r.m);
	assert_string_equal(r.err, "pod list 't.json': no \"items\" array");
	done(&r);
	run(&r, "{'kin\\u0064':'List','items':[]}");
	assert_null(r.m);
	assert_string_equal(r.err, "pod list 't.json': not a PodList, List or Pod (no kind)");
	done(&r);
	/* a NUL: in a string, or after the list */
	static const char nul_in[] = "{\"kind\":\"List\",\"items\":[{\"a\":\"x\0y\"}]}";
	agree_raw(&r, nul_in, sizeof(nul_in) - 1, true);
	assert_null(r.m);
	done(&r);
	static const char nul_after[] = "{\"kind\":\"List\",\"items\":[]}\0";
	agree_raw(&r, nul_after, sizeof(nul_after) - 1, true);
	assert_string_equal(r.err, "pod list 't.json': not JSON at byte 26: data after the value");
	done(&r);
}

static void test_scan_structure(void **state)
{
	(void)state;
	struct run r;
	/* nested arrays of objects, in items and beside them */
	agree(&r,
	      "{'x':[[{'a':[{'b':[]},{}]}],[],[[]]],'kind':'List','items':["
	      "{'metadata':{'namespace':'a','name':'b'},'spec':{'x':[[{'y':[{}]}],[[1,2]]],"
	      "'containers':[{'image':'i1'},{'image':'i2'}]},'status':{'podIPs':[{'ip':'10.0.0.1'},"
	      "{'ip':'10.0.0.2'}]}}],'y':[{'z':[[{}]]}]}",
	      true);
	assert_non_null(r.m);
	assert_int_equal(r.st.addresses, 2);
	assert_int_equal(find(r.m, "10.0.0.2")->nimages, 2);
	done(&r);
	/* JSON's four blanks anywhere between tokens */
	agree(&r,
	      " \r\n\t{ \r\n\t'kind' \r\n\t: \r\n\t'List' \r\n\t, \r\n\t'items' \r\n\t: \r\n\t[ "
	      "\r\n\t{ 'metadata' :{ 'namespace' : 'a' , 'name' : 'b' } , 'status' : { 'podIP' : "
	      "'10.0.0.1' } } \r\n\t, \r\n\t7 \r\n\t, \r\n\tnull \r\n\t] \r\n\t, 'x' : [ 1 , true ] , "
	      "'y' : 2 \r\n\t} \r\n\t",
	      true);
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 3);
	assert_int_equal(r.st.pods, 1);
	assert_int_equal(r.st.bad_items, 2);
	done(&r);
	/* no others: not \v, \f */
	rejects("{'kind':'List',\v'items':[]}", "not JSON at byte 15");
	rejects("{'kind':'List','items':[\f]}", "not JSON at byte 24");
	rejects("{'kind':'List','items':[]}\f", "not JSON at byte 26: data after the value");
	/* "items" before "kind" (kubectl's order), and 0 items */
	agree(&r, "{'apiVersion':'v1','items':[" POD("a", "b", "10.0.0.1") "],'kind':'List',"
		  "'metadata':{'resourceVersion':''}}",
	      true);
	assert_non_null(r.m);
	assert_int_equal(r.st.pods, 1);
	done(&r);
	agree(&r, "{'items':[ \n ],'kind':'PodList'}", true);
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 0);
	assert_int_equal(pods_count(r.m), 0);
	done(&r);
	/* items that are not objects: bad items, as before */
	agree(&r, "{'kind':'List','items':[1,'s',null,[],true,-2.5e3,[{}],{}]}", true);
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 8);
	assert_int_equal(r.st.bad_items, 8);
	assert_true(has_msg(&r, "t.json: item 6: not an object\n"));
	assert_true(has_msg(&r, "t.json: item 7: metadata.namespace is missing\n"));
	done(&r);
	/* the same key twice: the last one counts, as with json-c */
	agree(&r, "{'kind':'Service','items':{},'kind':'List','items':[" POD("a", "b", "10.0.0.1") "]}",
	      true);
	assert_non_null(r.m);
	assert_int_equal(r.st.pods, 1);
	done(&r);
	rejects("{'kind':'List','items':[" POD("a", "b", "10.0.0.1") "],'items':7}",
		"no \"items\" array");
	/* one replaced is still JSON json-c must take (found by fuzzing) */
	rejects("{'kind':'List','items'::'List','items':[]}", "not JSON at byte 23: unexpected");
	rejects("{'kind':'List','items':[{'a':01}],'items':[]}", "not JSON at byte 31: number");
	rejects("{'kind':'List','items':[],'kind':7}", "not a PodList, List or Pod (no kind)");
	rejects("{'kind':'List','items':[],'kind':'Pods'}", "(kind 'Pods')");
	/* a top-level Pod, "items" or not */
	agree(&r, "{'kind':'Pod','items':[1],'metadata':{'namespace':'a','name':'b'},"
		  "'status':{'podIP':'10.0.0.1'}}",
	      true);
	assert_non_null(r.m);
	assert_int_equal(r.st.items, 1);
	done(&r);
	/* what json-c rejects inside what is skipped is rejected too, and
	 * before the kind is looked at */
	rejects("{'kind':'Service','items':[{'a':tru}]}", "not JSON at byte 35: boolean expected");
	rejects("{'kind':'List','items':7,'x':{'a':[1,]}}", "not JSON at byte 37: unexpected");
	rejects("{'items':[1 2]}", "not JSON at byte 12: array value separator ',' expected");
}

static void test_scan_scalars(void **state)
{
	(void)state;
	struct run r;
	/* top-level values and items alike are json-c's: exactly its scalars */
	static const char *const bad[] = { "tru", "truex", "nul", "True", "1.2.3", "01", "-", "1e",
					   "+1", ".5", "0x1", "1-2", "nan", "-Inf", "'a'x", "1'a'",
					   ":", "1:2", "Infinityx" };
	static const char *const good[] = { "true", "false", "null", "0", "-0", "1.5e-3", "1E+5",
					    "'s'", "NaN", "-Infinity", "1." };
	char buf[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r1;
		snprintf(buf, sizeof(buf), "{'kind':'List','items':[],'x':%s}", bad[i]);
		agree(&r1, buf, false);
		assert_null(r1.m);
		done(&r1);
		snprintf(buf, sizeof(buf), "{'kind':'List','items':[%s,1]}", bad[i]);
		agree(&r1, buf, false);
		assert_null(r1.m);
		done(&r1);
		snprintf(buf, sizeof(buf), "{'kind':'List','items':[],'x':%s }", bad[i]);
		agree(&r1, buf, false);
		done(&r1);
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		agree(&r1, buf, true);
		done(&r1);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "{'kind':'List','items':[%s],'x':%s,'y':[%s ]}", good[i],
			 good[i], good[i]);
		agree(&r, buf, true);
		assert_non_null(r.m);
		assert_int_equal(r.st.bad_items, 1);
		done(&r);
		snprintf(buf, sizeof(buf), " %s ", good[i]);
		agree(&r, buf, true);
		assert_string_equal(r.err,
				    "pod list 't.json': not a PodList, List or Pod (not a JSON object)");
		done(&r);
	}
	/* a structurally whole item json-c rejects fails the file, at the
	 * item's start + json-c's offset in it: json-c's own byte */
	rejects(LIST("{'metadata':{'namespace':'a','name':'b'},'status':{'podIP':'10.0.0.1'},"
		     "'n':01}"),
		"not JSON at byte 119: number expected");
	/* with no message for the items before it, and nothing counted */
	rejects(LIST("1,2," POD("a", "b", "x") ",{'a':1 'b':2}"),
		"object value separator ',' expected");
}

static void test_scan_truncated(void **state)
{
	(void)state;
	char *full = q(LIST(POD("a", "b", "10.0.0.1") "," POD("a", "c", "10.0.0.2")) " ");
	size_t len = strlen(full);
	/* every prefix fails, at its end (or where json-c says) */
	for (size_t n = 0; n < len - 1; n++) {
		struct run r;
		agree_raw(&r, full, n, true);
		assert_null(r.m);
		assert_int_equal(r.lines, 0);
		if (n > 0) {
			char want[64];
			snprintf(want, sizeof(want), "not JSON at byte %zu: unexpected end of data", n);
			if (!strstr(r.err, want))
				fail_msg("%zu bytes: '%s'", n, r.err);
		}
		done(&r);
	}
	struct run r;
	agree_raw(&r, full, len, true);
	assert_non_null(r.m);
	assert_int_equal(r.st.pods, 2);
	done(&r);
	free(full);
	/* a trailing comma: in items, in an item, at the top level */
	rejects(LIST(POD("a", "b", "10.0.0.1") ","), "not JSON at byte 114: unexpected character");
	rejects(LIST("{'a':1,}"), "not JSON at byte 49: unexpected character");
	rejects(LIST("[1,]"), "not JSON at byte 45: unexpected character");
	rejects("{'kind':'List','items':[],}", "not JSON at byte 26: unexpected character");
	rejects("{'kind':'List','items':[],1:2}", "not JSON at byte 26: quoted object property name");
	rejects("{'kind':'List','items':[,]}", "not JSON at byte 24: unexpected character");
	rejects("{'kind':'List','items':[1}", "not JSON at byte 25: array value separator");
	rejects("{'kind':'List','items':[]]", "not JSON at byte 25: object value separator");
	rejects("{'kind':'List','items'[]}", "not JSON at byte 22: object property name separator");
	rejects("{'kind':'List','items':}", "not JSON at byte 23: unexpected character");
}

/* "{'kind':'List','items':[],'x':" + d nested arrays (a value at depth
 * d) holding inner, in buf */
static size_t nest(char *buf, size_t cap, int d, const char *inner)
{
	size_t n = (size_t)snprintf(buf, cap, "{\"kind\":\"List\",\"items\":[],\"x\":");
	for (int i = 0; i < d; i++)
		buf[n++] = '[';
	n += (size_t)snprintf(buf + n, cap - n, "%s", inner);
	for (int i = 0; i < d; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = '\0';
	return n;
}

static void test_scan_depth(void **state)
{
	(void)state;
	/* beside items: depths 0 to PODS_DEPTH_MAX-1, as json-c's; with a
	 * value larger than CHECK_WHOLE inside too (checked piece by piece) */
	size_t cap = 16384;
	char *buf = malloc(cap), *pad = malloc(8192);
	assert_non_null(buf);
	assert_non_null(pad);
	pad[0] = '"';
	memset(pad + 1, 'p', 8000);
	strcpy(pad + 8001, "\"");
	const char *inner[] = { "", "1", pad, "{}", "[]" };
	for (size_t k = 0; k < sizeof(inner) / sizeof(inner[0]); k++) {
		for (int d = PODS_DEPTH_MAX - 3; d <= PODS_DEPTH_MAX + 1; d++) {
			struct run r;
			size_t n = nest(buf, cap, d, inner[k]);
			/* the deepest value: d (empty), else d + 1 */
			bool deep = (inner[k][0] ? d + 1 : d) > PODS_DEPTH_MAX - 1;
			agree_raw(&r, buf, n, true);
			if (deep != (r.m == NULL))
				fail_msg("depth %d, inner %.8s: %s", d, inner[k], r.err);
			if (deep)
				assert_non_null(strstr(r.err, "nesting too deep"));
			done(&r);
		}
	}
	/* a huge unknown member is checked, skipped: its bad parts found
	 * where json-c finds them */
	size_t n = (size_t)snprintf(buf, cap, "{\"kind\":\"List\",\"metadata\":{\"a\":[");
	for (int i = 0; n < 12000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s{\"k%d\":[\"v\",%d,null]}", i ? "," : "", i, i);
	size_t at = n;
	n += (size_t)snprintf(buf + n, cap - n, "]},\"items\":[]}");
	struct run r;
	agree_raw(&r, buf, n, true);
	assert_non_null(r.m);
	done(&r);
	memcpy(buf + at - 6, "nul ", 4); /* the last "null" cut short */
	agree_raw(&r, buf, n, true);
	assert_null(r.m);
	assert_non_null(strstr(r.err, "null expected"));
	done(&r);
	free(buf);
	free(pad);
}

/* ---- a large list ---- */

struct sbuf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = 2 * b->cap + (size_t)n;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_large(void **state)
{
	(void)state;
	enum { N = 10000 };
	struct sbuf b = { .p = malloc(1 << 20), .cap = 1 << 20 };
	assert_non_null(b.p);
	sb_add(&b, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
	for (int i = 0; i < N; i++) {
		int app = i / 7, node = i % 120, ns = app % 40;
		sb_add(&b,
		       "%s{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
		       "\"name\":\"svc-%d-6d8f9c7b5-%05d\",\"namespace\":\"team-%d\","
		       "\"labels\":{\"app\":\"svc-%d\",\"pod-template-hash\":\"6d8f9c7b5\"},"
		       "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
		       "\"name\":\"svc-%d-6d8f9c7b5\",\"controller\":true,\"uid\":\"%08x-1\"}]},"
		       "\"spec\":{\"nodeName\":\"node-%03d\",\"serviceAccountName\":\"svc-%d\","
		       "\"containers\":[{\"name\":\"app\",\"image\":\"registry.example.com/svc-%d:1.%d\","
		       "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}},"
		       "{\"name\":\"proxy\",\"image\":\"envoyproxy/envoy:v1.29.%d\"}]},"
		       "\"status\":{\"phase\":\"Running\",\"hostIP\":\"10.0.%d.%d\",\"podIP\":\"10.%d.%d.%d\","
		       "\"podIPs\":[{\"ip\":\"10.%d.%d.%d\"}",
		       i ? "," : "", app, i, ns, app, app, (unsigned)i, node, app, app % 50, i % 3,
		       app % 4, node / 256, node % 256, 64 + (i >> 16), (i >> 8) & 255, i & 255,
		       64 + (i >> 16), (i >> 8) & 255, i & 255);
		if (i % 5 == 0)
			sb_add(&b, ",{\"ip\":\"fd00:10:244::%x\"}", i);
		sb_add(&b, "]}}");
	}
	sb_add(&b, "]}");
	double t0 = now();
	struct run r;
	run_raw(&r, b.p, b.len);
	double t1 = now();
	assert_non_null(r.m);
	assert_int_equal(pods_count(r.m), N);
	assert_int_equal(pods_addresses(r.m), N + N / 5);
	assert_int_equal(r.lines, 0);
	for (int i = 0; i < N; i++) {
		char ip[64], want[64];
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", 64 + (i >> 16), (i >> 8) & 255, i & 255);
		const struct pod *p = find(r.m, ip);
		snprintf(want, sizeof(want), "svc-%d-6d8f9c7b5-%05d", i / 7, i);
		if (!p || strcmp(p->name, want) != 0)
			fail_msg("%s: %s, want %s", ip, p ? p->name : "not found", want);
		assert_int_equal(p->nimages, 2);
		if (i % 5 == 0) {
			snprintf(ip, sizeof(ip), "fd00:10:244::%x", i);
			assert_ptr_equal(find(r.m, ip), p);
		}
	}
	size_t bytes = pods_bytes(r.m);
	print_message("%d pods, %zu addresses, %zu bytes of JSON: parsed in %.3f s, "
		      "map %zu bytes (%zu a pod)\n",
		      N, pods_addresses(r.m), b.len, t1 - t0, bytes, bytes / N);
	/* pods (~90 B), slots (2-4 a pod, 24 B), the unique names: well under 400 */
	assert_true(bytes > (size_t)N * sizeof(struct pod));
	assert_true(bytes < (size_t)N * 400);
	done(&r);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_podlist),
		cmocka_unit_test(test_list_other_kinds),
		cmocka_unit_test(test_single_pod),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_podip_fallback),
		cmocka_unit_test(test_ipv4_mapped),
		cmocka_unit_test(test_find_null),
		cmocka_unit_test(test_not_mapped),
		cmocka_unit_test(test_app_and_account),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_bad_items),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_message_cap),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_too_many_items),
		cmocka_unit_test(test_scan_strings),
		cmocka_unit_test(test_scan_structure),
		cmocka_unit_test(test_scan_scalars),
		cmocka_unit_test(test_scan_truncated),
		cmocka_unit_test(test_scan_depth),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
