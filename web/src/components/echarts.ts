/**
 * ECharts, loaded only through a dynamic import of this module (components/Chart.tsx): the build
 * puts it into its own chunk, echarts-<hash>.js, fetched by the first page that draws a chart and
 * never by the sign-in page. Only the parts the console draws with are registered (the full build
 * is 1.1 MB): add a chart type or component here before a page uses it — ECharts logs an error
 * naming a part that is missing.
 */
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import {
  AriaComponent,
  DatasetComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import { init, use } from 'echarts/core';
import { LabelLayout } from 'echarts/features';
import { CanvasRenderer } from 'echarts/renderers';

use([
  BarChart,
  LineChart,
  PieChart,
  AriaComponent,
  DatasetComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  LabelLayout,
  CanvasRenderer,
]);

export { init };
