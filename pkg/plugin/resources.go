package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/models"
)

// queryTypeInfo describes a query type for the editor.
type queryTypeInfo struct {
	Key         string `json:"key"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
}

var queryTypeInfos = []queryTypeInfo{
	{models.QueryMetrics, "Metrics", "Metrics of the catalog, as a time series or grouped by dimensions."},
	{models.QueryTickets, "Tickets (drill-down)", "The tickets behind a number, one row each."},
	{models.QueryTopProducts, "Top products", "The best-selling products by revenue or quantity."},
	{models.QueryLiveFeed, "Live feed", "The latest orders and cart events."},
	{models.QueryRetention, "Retention", "Customer cohorts by month of first order and how many ordered again."},
	{models.QueryVariable, "Variable values", "The values of a dimension, for template variables."},
}

// catalogJSON is the catalog resource: the editor's metric list and dimensions come from it, so the
// catalog is written once, in the engine.
func catalogJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"metrics":    engine.Catalog,
		"dimensions": engine.Dimensions,
		"queryTypes": queryTypeInfos,
	})
}

// newResourceHandler serves GET catalog.
func newResourceHandler(d *Datasource) backend.CallResourceHandler {
	return backend.CallResourceHandlerFunc(func(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
		switch strings.Trim(req.Path, "/") {
		case "catalog":
			body, err := catalogJSON()
			if err != nil {
				return err
			}
			return sender.Send(&backend.CallResourceResponse{Status: http.StatusOK, Body: body,
				Headers: map[string][]string{"Content-Type": {"application/json"}}})
		}
		return sender.Send(&backend.CallResourceResponse{Status: http.StatusNotFound,
			Body: []byte(`{"error":"unknown resource: use catalog"}`)})
	})
}
