/* The administration API: which route, trunks and number a call to a
 * number would use (R-ADMIN-2, R-TRUNK-2), the answer of `rempart route
 * test`. A path of its own: "routes/test" would be the route named
 * "test". */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>

#include "admin/api_int.h"
#include "store/trunks.h"

/* GET /api/v1/route-test?number=NUMBER: {route, number (as sent),
 * trunks (in the order tried, the disabled ones left out), skipped (how
 * many were)}; 404 when no route matches. */
static enum MHD_Result
api_route_test(struct api_call *k)
{
	const char *number = api_param(k, "number");
	struct route_choice ch;
	json_t *trunks;
	int rc;

	if (number == NULL || !routes_number_valid(sv_cstr(number))) {
		char rule[64];

		snprintf(rule, sizeof(rule), "an optional '+' then 1-%d digits",
		    ROUTES_NUMBER_MAX - 1);
		return api_bad_param(k->conn, "number", rule);
	}
	rc = routes_select(k->api->db, sv_cstr(number), &ch);
	if (rc == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no route for that number");
	if (rc != 0)
		return api_store_error(k->conn, "routes.select", rc);
	trunks = json_array();
	for (unsigned i = 0; trunks != NULL && i < ch.n_trunks; i++) {
		if (json_array_append_new(trunks, json_string(ch.trunks[i])) !=
		    0) {
			json_decref(trunks);
			trunks = NULL;
		}
	}
	if (trunks == NULL)
		return api_send(k->conn, MHD_HTTP_OK, NULL, NULL, NULL);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:s,s:o,s:I}", "route", ch.route, "number",
	        ch.number, "trunks", trunks, "skipped",
	        (json_int_t)ch.n_skipped),
	    NULL, NULL);
}

const struct api_route_def api_routes_route_test[] = {
    {"route-test", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_ROUTES_READ,
        {"number"}, api_route_test},
    {.path = NULL},
};
