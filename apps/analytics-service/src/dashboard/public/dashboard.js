// Phoenix analytics dashboard: draws the six stats panels of GET /v1/stats/:panel with ECharts
// (served by this service as /dashboard/echarts.min.js, the global `echarts`).
//
// No credentials live here: the browser asked the operator for the admin token once (HTTP Basic on
// /dashboard) and sends it again with these same-origin requests. No inline script or style is
// used (the page's Content-Security-Policy forbids both): tooltips are plain text with <br>.
/* global echarts */
(function () {
  'use strict';

  var PANELS = ['connections', 'throughput', 'sessions', 'blocking', 'platforms', 'fleet'];
  var DURATION_BUCKETS = ['<1m', '1-10m', '10-60m', '1-4h', '4-24h', '>24h'];
  var TRANSFER_BUCKETS = ['<100MB', '100MB-1GB', '1GB-5GB', '5GB-20GB', '>20GB'];
  var HOURS = [];
  for (var h = 0; h < 24; h++) HOURS.push((h < 10 ? '0' : '') + h);
  var MAX_DAYS = 92;
  var DAY_MS = 86400000;
  var SUPPRESSED_NAME = 'fewer than k events';
  var SUPPRESSED_COLOR = '#c3c9d2';
  var PALETTE = ['#3b6fb6', '#e07b39', '#5aa469', '#c4465a', '#8a63b8', '#4fb0c6', '#b39b2f', '#6b7785'];

  var charts = {};

  function byId(id) {
    return document.getElementById(id);
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function isoDay(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  function dayMs(value) {
    return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(value + 'T00:00:00Z') : NaN;
  }

  function daysOf(from, to) {
    var days = [];
    for (var t = dayMs(from), end = dayMs(to), n = 0; t <= end && n < MAX_DAYS; t += DAY_MS, n++) days.push(isoDay(t));
    return days;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined) return '—';
    return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 2 : digits });
  }

  function percent(rate) {
    return fmt(rate * 100, 1) + ' %';
  }

  function chart(panel) {
    if (!charts[panel]) charts[panel] = echarts.init(byId('chart-' + panel), null, { renderer: 'canvas' });
    return charts[panel];
  }

  async function fetchPanel(panel, from, to) {
    var res = await fetch('/v1/stats/' + panel + '?from=' + from + '&to=' + to, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    var body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!res.ok) {
      var why = body && body.code ? body.code + ': ' + body.message : 'HTTP ' + res.status;
      throw new Error(panel + ': ' + why);
    }
    return body;
  }

  function showSuppressed(data) {
    var el = byId('suppressed-' + data.panel);
    var s = data.suppressed;
    el.classList.toggle('has', s.cells > 0);
    el.textContent =
      s.cells === 0
        ? 'Nothing suppressed (every cell had at least k = ' + data.k + ' events).'
        : 'Suppressed: ' +
          s.cells +
          (s.cells === 1 ? ' cell' : ' cells') +
          ' with ' +
          s.events +
          (s.events === 1 ? ' event' : ' events') +
          ' in all (each fewer than k = ' +
          data.k +
          ').';
  }

  function emptyTitle(rows) {
    return rows.length > 0
      ? { show: false }
      : { show: true, text: 'No cell with k or more events', left: 'center', top: 'middle', textStyle: { color: '#7a8391', fontSize: 13, fontWeight: 'normal' } };
  }

  // A heatmap of a full grid: cells with a row are coloured by `value`; every other cell of the grid
  // is drawn grey and labelled "<k" (it had fewer than k events — possibly none; the API does not
  // say which, by design).
  function heatmap(panel, opts) {
    var shown = [];
    var meta = {};
    opts.cells.forEach(function (c) {
      var x = opts.xs.indexOf(c.x);
      var y = opts.ys.indexOf(c.y);
      if (x < 0 || y < 0) return;
      shown.push([x, y, c.value === null ? opts.min : c.value]);
      meta[x + ',' + y] = c;
    });
    var hidden = [];
    for (var yi = 0; yi < opts.ys.length; yi++) {
      for (var xi = 0; xi < opts.xs.length; xi++) {
        if (!meta[xi + ',' + yi]) hidden.push([xi, yi, 0]);
      }
    }
    chart(panel).setOption(
      {
        animation: false,
        title: emptyTitle(opts.cells),
        grid: { left: opts.left || 70, right: 16, top: 28, bottom: 78 },
        legend: { data: [SUPPRESSED_NAME], top: 0, right: 8, itemWidth: 14, itemHeight: 10 },
        tooltip: {
          confine: true,
          formatter: function (p) {
            var where = escapeHtml(opts.ys[p.data[1]]) + ', ' + escapeHtml(opts.xLabel(opts.xs[p.data[0]]));
            if (p.seriesIndex === 1) return where + '<br>fewer than k = ' + opts.k + ' events (suppressed or none)';
            return where + '<br>' + opts.tooltip(meta[p.data[0] + ',' + p.data[1]]);
          },
        },
        xAxis: { type: 'category', data: opts.xs.map(opts.xLabel), splitArea: { show: true }, name: opts.xName, nameLocation: 'middle', nameGap: 26 },
        // Locations read top to bottom in alphabetical order; buckets grow upwards.
        yAxis: { type: 'category', data: opts.ys, splitArea: { show: true }, inverse: !!opts.topDown },
        visualMap: {
          seriesIndex: 0,
          min: opts.min,
          max: opts.max,
          calculable: false,
          orient: 'horizontal',
          left: 'center',
          bottom: 0,
          itemHeight: 160,
          text: opts.visualText,
          inRange: { color: opts.colors },
        },
        series: [
          {
            name: opts.valueName,
            type: 'heatmap',
            data: shown,
            label: {
              show: true,
              fontSize: 10,
              color: '#1f2630',
              formatter: function (p) {
                return opts.label(meta[p.data[0] + ',' + p.data[1]]);
              },
            },
            itemStyle: { borderColor: '#fff', borderWidth: 1 },
          },
          {
            name: SUPPRESSED_NAME,
            type: 'heatmap',
            data: hidden,
            itemStyle: { color: SUPPRESSED_COLOR, borderColor: '#fff', borderWidth: 1 },
            label: { show: true, fontSize: 9, color: '#4a525e', formatter: '<' + opts.k },
          },
        ],
      },
      true,
    );
  }

  function locationsOf(results) {
    var set = {};
    ['connections', 'throughput', 'fleet'].forEach(function (panel) {
      results[panel].rows.forEach(function (r) {
        set[r.location] = true;
      });
    });
    return Object.keys(set).sort();
  }

  /** A heatmap of hour of day (UTC) × location: the shared axes of the connections and fleet panels. */
  function hourByLocation(panel, data, locations, spec) {
    heatmap(panel, {
      k: data.k,
      xs: HOURS.map(Number),
      ys: locations,
      topDown: true,
      xLabel: function (h) {
        return (h < 10 ? '0' : '') + h + 'h';
      },
      xName: 'hour of day (UTC)',
      cells: data.rows.map(function (r) {
        return { x: r.hourOfDay, y: r.location, value: spec.value(r), row: r };
      }),
      min: spec.min,
      max: spec.max,
      colors: spec.colors,
      visualText: spec.visualText,
      valueName: spec.valueName,
      label: spec.label,
      tooltip: spec.tooltip,
    });
  }

  function drawConnections(data, locations) {
    hourByLocation('connections', data, locations, {
      value: function (r) {
        return r.successRate;
      },
      min: 0,
      max: 1,
      colors: ['#c4465a', '#f0b64c', '#e9e27a', '#5aa469'],
      visualText: ['100 % success', '0 %'],
      valueName: 'success rate',
      label: function (c) {
        return String(c.row.attempts);
      },
      tooltip: function (c) {
        return (
          'attempts: ' +
          fmt(c.row.attempts, 0) +
          '<br>success rate: ' +
          percent(c.row.successRate) +
          '<br>top failure reason: ' +
          (c.row.topFailureReason === null ? '— (none with k or more failures)' : escapeHtml(c.row.topFailureReason))
        );
      },
    });
  }

  function drawFleet(data, locations) {
    hourByLocation('fleet', data, locations, {
      value: function (r) {
        return r.meanLoad;
      },
      min: 0,
      max: 100,
      colors: ['#f1f6fb', '#b9d3ec', '#7fb0dc', '#4f8fcb'],
      visualText: ['load 100 %', '0 %'],
      valueName: 'mean load',
      label: function (c) {
        return String(c.row.redemptions);
      },
      tooltip: function (c) {
        return (
          'redemptions: ' +
          fmt(c.row.redemptions, 0) +
          '<br>reused tokens: ' +
          fmt(c.row.reused, 0) +
          '<br>no capacity: ' +
          fmt(c.row.noCapacity, 0) +
          '<br>mean load: ' +
          (c.row.meanLoad === null ? '— (no samples)' : fmt(c.row.meanLoad, 1) + ' %')
        );
      },
    });
  }

  function drawSessions(data) {
    var max = 1;
    data.rows.forEach(function (r) {
      if (r.sessions > max) max = r.sessions;
    });
    heatmap('sessions', {
      k: data.k,
      xs: DURATION_BUCKETS,
      ys: TRANSFER_BUCKETS,
      left: 84,
      xLabel: function (b) {
        return b;
      },
      xName: 'duration',
      cells: data.rows.map(function (r) {
        return { x: r.durationBucket, y: r.transferBucket, value: r.sessions, row: r };
      }),
      min: 0,
      max: max,
      colors: ['#eef3e6', '#9fcf8f', '#3f8f4f'],
      visualText: ['more sessions', 'fewer'],
      valueName: 'sessions',
      label: function (c) {
        return String(c.row.sessions);
      },
      tooltip: function (c) {
        return 'sessions: ' + fmt(c.row.sessions, 0);
      },
    });
  }

  function drawThroughput(data) {
    var locs = data.rows.map(function (r) {
      return r.location;
    });
    var series = [
      ['down p50', 'downMbpsP50', '#3b6fb6'],
      ['down p90', 'downMbpsP90', '#8fb8de'],
      ['up p50', 'upMbpsP50', '#e07b39'],
      ['up p90', 'upMbpsP90', '#f2b58a'],
    ].map(function (s) {
      return {
        name: s[0],
        type: 'bar',
        itemStyle: { color: s[2] },
        data: data.rows.map(function (r) {
          return r[s[1]];
        }),
      };
    });
    chart('throughput').setOption(
      {
        animation: false,
        title: emptyTitle(data.rows),
        legend: { top: 0 },
        grid: { left: 56, right: 16, top: 34, bottom: 36 },
        tooltip: {
          trigger: 'axis',
          confine: true,
          axisPointer: { type: 'shadow' },
          formatter: function (ps) {
            var r = data.rows[ps[0].dataIndex];
            return (
              escapeHtml(r.location) +
              ' (' +
              fmt(r.samples, 0) +
              ' samples)<br>down p50 / p90: ' +
              fmt(r.downMbpsP50) +
              ' / ' +
              fmt(r.downMbpsP90) +
              ' Mbit/s<br>up p50 / p90: ' +
              fmt(r.upMbpsP50) +
              ' / ' +
              fmt(r.upMbpsP90) +
              ' Mbit/s'
            );
          },
        },
        xAxis: { type: 'category', data: locs },
        yAxis: { type: 'value', name: 'Mbit/s' },
        series: series,
      },
      true,
    );
  }

  function drawBlocking(data) {
    var days = daysOf(data.from, data.to);
    var byDay = {};
    data.rows.forEach(function (r) {
      byDay[r.day] = r;
    });
    var mb = days.map(function (d) {
      return byDay[d] ? byDay[d].mbBlocked : null;
    });
    var hours = days.map(function (d) {
      return byDay[d] ? Math.round((byDay[d].timeSavedSec / 3600) * 100) / 100 : null;
    });
    // A full-height grey bar on a hidden 0..1 axis marks each day with fewer than k events.
    var hidden = days.map(function (d) {
      return byDay[d] ? null : 1;
    });
    chart('blocking').setOption(
      {
        animation: false,
        title: emptyTitle(data.rows),
        legend: { top: 0, data: ['MB blocked', 'time saved (h)', SUPPRESSED_NAME] },
        grid: { left: 60, right: 56, top: 34, bottom: 40 },
        tooltip: {
          trigger: 'axis',
          confine: true,
          formatter: function (ps) {
            var day = days[ps[0].dataIndex];
            var r = byDay[day];
            if (!r) return escapeHtml(day) + '<br>fewer than k = ' + data.k + ' events (suppressed or none)';
            return (
              escapeHtml(day) +
              '<br>events: ' +
              fmt(r.events, 0) +
              '<br>MB blocked: ' +
              fmt(r.mbBlocked, 1) +
              '<br>requests blocked: ' +
              fmt(r.requestsBlocked, 0) +
              '<br>time saved: ' +
              fmt(r.timeSavedSec / 3600, 2) +
              ' h'
            );
          },
        },
        xAxis: { type: 'category', data: days },
        yAxis: [
          { type: 'value', name: 'MB' },
          { type: 'value', name: 'hours', splitLine: { show: false } },
          { type: 'value', min: 0, max: 1, show: false },
        ],
        series: [
          { name: 'MB blocked', type: 'bar', data: mb, itemStyle: { color: '#3b6fb6' }, barGap: '-100%' },
          { name: 'time saved (h)', type: 'line', yAxisIndex: 1, data: hours, itemStyle: { color: '#e07b39' }, connectNulls: false },
          {
            name: SUPPRESSED_NAME,
            type: 'bar',
            yAxisIndex: 2,
            data: hidden,
            itemStyle: { color: SUPPRESSED_COLOR, opacity: 0.7 },
            label: { show: true, position: 'insideTop', fontSize: 9, color: '#4a525e', formatter: '<' + data.k },
          },
        ],
      },
      true,
    );
  }

  function drawPlatforms(data) {
    var platforms = [];
    data.rows.forEach(function (r) {
      if (platforms.indexOf(r.platform) < 0) platforms.push(r.platform);
    });
    var labels = data.rows.map(function (r) {
      return r.platform + ' ' + r.appVersion;
    });
    chart('platforms').setOption(
      {
        animation: false,
        title: emptyTitle(data.rows),
        grid: { left: 96, right: 24, top: 12, bottom: 28 },
        tooltip: {
          confine: true,
          formatter: function (p) {
            var r = data.rows[p.dataIndex];
            return escapeHtml(r.platform) + ' ' + escapeHtml(r.appVersion) + '<br>events: ' + fmt(r.events, 0);
          },
        },
        xAxis: { type: 'value', name: 'events', nameLocation: 'middle', nameGap: 22 },
        yAxis: { type: 'category', data: labels, inverse: true },
        series: [
          {
            name: 'events',
            type: 'bar',
            data: data.rows.map(function (r) {
              return { value: r.events, itemStyle: { color: PALETTE[platforms.indexOf(r.platform) % PALETTE.length] } };
            }),
            label: { show: true, position: 'right', fontSize: 10 },
          },
        ],
      },
      true,
    );
  }

  async function load(from, to) {
    document.body.dataset.state = 'loading';
    byId('status').textContent = 'Loading ' + from + ' – ' + to + ' …';
    try {
      var all = await Promise.all(
        PANELS.map(function (p) {
          return fetchPanel(p, from, to);
        }),
      );
      var results = {};
      all.forEach(function (d) {
        results[d.panel] = d;
      });
      var locations = locationsOf(results);
      drawConnections(results.connections, locations);
      drawThroughput(results.throughput);
      drawSessions(results.sessions);
      drawBlocking(results.blocking);
      drawPlatforms(results.platforms);
      drawFleet(results.fleet, locations);
      PANELS.forEach(function (p) {
        showSuppressed(results[p]);
      });
      byId('k-note').textContent =
        'k = ' + results.connections.k + ': a cell built from fewer than ' + results.connections.k + ' events is not shown, only counted.';
      byId('status').textContent = 'Showing ' + from + ' – ' + to + ' (UTC, both days included).';
      byId('status').classList.remove('error');
      document.body.dataset.state = 'ready';
    } catch (e) {
      byId('status').textContent = 'Could not load the stats: ' + e.message;
      byId('status').classList.add('error');
      document.body.dataset.state = 'error';
    }
  }

  function start() {
    var today = Date.parse(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
    var fromInput = byId('from');
    var toInput = byId('to');
    fromInput.value = isoDay(today - 6 * DAY_MS);
    toInput.value = isoDay(today);
    byId('range').addEventListener('submit', function (event) {
      event.preventDefault();
      var from = fromInput.value;
      var to = toInput.value;
      var span = (dayMs(to) - dayMs(from)) / DAY_MS + 1;
      if (!(span >= 1 && span <= MAX_DAYS)) {
        byId('status').textContent = 'Choose a window of 1 to ' + MAX_DAYS + ' whole days, from before to.';
        byId('status').classList.add('error');
        return;
      }
      void load(from, to);
    });
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (p) {
        charts[p].resize();
      });
    });
    void load(fromInput.value, toInput.value);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
