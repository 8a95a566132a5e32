// Command gpx_support_analytics is the backend of the Support Analytics data source.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"

	"github.com/supportops/grafana-support-analytics/pkg/plugin"
)

const pluginID = "supportops-analytics-datasource"

func main() {
	plugin.LimitMemory()
	if err := datasource.Manage(pluginID, plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		backend.Logger.Error("the plugin stopped", "error", err.Error())
		os.Exit(1)
	}
}
