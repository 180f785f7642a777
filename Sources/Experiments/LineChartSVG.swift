import Foundation

/// A dependency-free SVG line chart: enough for a loss curve in a Markdown report.
public struct LineChartSVG {
    public struct Series {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public var markers: Bool
        public var dashed: Bool
        public init(name: String, color: String, points: [(x: Double, y: Double)], markers: Bool = false, dashed: Bool = false) {
            self.name = name
            self.color = color
            self.points = points
            self.markers = markers
            self.dashed = dashed
        }
    }

    /// Vertical marks at these x values, each with a short label at its top (e.g. the step whose state was kept).
    public var verticalMarks: [(x: Double, label: String)] = []
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 720.0
    public var height = 360.0
    /// The y axis on a logarithmic scale (positive values only): the first steps' high losses no longer
    /// squash the rest of a loss curve into a thin band.
    public var logarithmicY = false

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// Round tick values inside [low, high]: multiples of 1, 2 or 5 times a power of ten, about five of them
    /// (a step of 50 optimiser steps or 0.5 nats, not 47.75 and 0.791).
    static func ticks(from low: Double, to high: Double, about count: Double = 5) -> [Double] {
        guard high > low, low.isFinite, high.isFinite else { return [low] }
        let raw = (high - low) / count, power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        var values: [Double] = []
        var v = (low / step).rounded(.up) * step
        while v <= high + step * 1e-9 {
            values.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return values
    }

    /// Round tick values for a logarithmic axis over [low, high] (both > 0): 1, 2 and 5 times powers of ten,
    /// and 1.5 / 3 / 7 between them when the range is under a decade; linear round ticks when that gives fewer
    /// than three.
    static func logarithmicTicks(from low: Double, to high: Double) -> [Double] {
        guard low > 0, high > low, low.isFinite, high.isFinite else { return [low] }
        for mantissas in [[1.0], [1, 2, 5], [1, 1.5, 2, 3, 5, 7]] {
            var values: [Double] = []
            var power = pow(10, floor(log10(low)))
            while power <= high {
                for m in mantissas where m * power >= low * (1 - 1e-9) && m * power <= high * (1 + 1e-9) { values.append(m * power) }
                power *= 10
            }
            if values.count >= 3 { return values }
        }
        return ticks(from: low, to: high)
    }

    /// A tick's label: as few digits as the value needs (50, 2.5, 0.25).
    static func label(_ value: Double) -> String {
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    public func render() -> String {
        // A log axis drops what it cannot place (a loss of 0).
        let all = series.flatMap(\.points).filter { $0.y.isFinite && (!logarithmicY || $0.y > 0) }
        let (left, right, top, bottom) = (64.0, 16.0, 36.0, 48.0)
        let pw = width - left - right, ph = height - top - bottom
        let xs = all.map(\.x), ys = all.map(\.y)
        let x0 = xs.min() ?? 0, x1 = max((xs.max() ?? 1), x0 + 1e-9)
        // the plotted y: the value, or its logarithm on a log axis
        func ty(_ y: Double) -> Double { logarithmicY ? log10(y) : y }
        var y0 = ys.map(ty).min() ?? 0, y1 = ys.map(ty).max() ?? 1
        if y1 - y0 < 1e-9 { y0 -= 0.5; y1 += 0.5 }
        let pad = (y1 - y0) * 0.05
        y0 -= pad; y1 += pad
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double { top + (1 - (ty(y) - y0) / (y1 - y0)) * ph }
        let yTicks = logarithmicY ? Self.logarithmicTicks(from: pow(10, y0), to: pow(10, y1)) : Self.ticks(from: y0, to: y1)
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        for y in yTicks {  // horizontal grid with y ticks at round values
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(y)))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(Self.label(y))</text>\n"
        }
        for x in Self.ticks(from: x0, to: x1) {
            s += "<text x=\"\(f(px(x)))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(Self.label(x))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#888\"/>\n"
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        let yTitle = yLabel + (logarithmicY ? ", log scale" : "")
        s += "<text transform=\"translate(14 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yTitle))</text>\n"
        for mark in verticalMarks where mark.x >= x0 && mark.x <= x1 {
            s += "<line x1=\"\(f(px(mark.x)))\" y1=\"\(f(top))\" x2=\"\(f(px(mark.x)))\" y2=\"\(f(top + ph))\" "
                + "stroke=\"#444\" stroke-dasharray=\"2 3\"/>\n"
            // the label halfway down, beside the line, on white (loss curves are low by then, the legend high)
            let toLeft = px(mark.x) > left + pw / 2, width = 7 * Double(mark.label.count) + 6
            let tx = toLeft ? px(mark.x) - 4 - width : px(mark.x) + 4, ty = top + ph / 2
            s += "<rect x=\"\(f(tx))\" y=\"\(f(ty - 12))\" width=\"\(f(width))\" height=\"16\" fill=\"white\" fill-opacity=\"0.85\"/>\n"
            s += "<text x=\"\(f(tx + 3))\" y=\"\(f(ty))\" fill=\"#444\">\(escape(mark.label))</text>\n"
        }
        let plotted = { (p: (x: Double, y: Double)) in p.y.isFinite && (!logarithmicY || p.y > 0) }
        let shown = series.filter { $0.points.contains(where: plotted) }
        for ser in shown {
            let pts = ser.points.filter(plotted)
            // A <path>, not a <polyline>: ImageMagick's own SVG renderer closed polylines with a diagonal.
            let path = pts.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(f(px($0.element.x))),\(f(py($0.element.y)))" }
                .joined(separator: " ")
            if !path.isEmpty {
                s += "<path fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"1.5\"\(dash(ser)) d=\"\(path)\"/>\n"
            }
            if ser.markers {
                for p in pts { s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(ser.color)\"/>\n" }
            }
        }
        // The legend in the top right corner, as wide as its longest name (about 7 px a character at 12 px),
        // on white so that curves under it do not hide it.
        let legendWidth = 38 + 7 * Double(shown.map(\.name.count).max() ?? 0)
        let lx = left + pw - legendWidth
        if !shown.isEmpty {
            s += "<rect x=\"\(f(lx - 4))\" y=\"\(f(top + 2))\" width=\"\(f(legendWidth))\" height=\"\(f(Double(shown.count) * 16 + 6))\" "
                + "fill=\"white\" fill-opacity=\"0.85\"/>\n"
        }
        for (i, ser) in shown.enumerated() {
            let ly = top + 14 + Double(i) * 16
            s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 20))\" y2=\"\(f(ly - 4))\" stroke=\"\(ser.color)\" stroke-width=\"2\"\(dash(ser))/>\n"
            s += "<text x=\"\(f(lx + 26))\" y=\"\(f(ly))\">\(escape(ser.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    func dash(_ series: Series) -> String { series.dashed ? " stroke-dasharray=\"6 3\"" : "" }

    func escape(_ t: String) -> String {
        t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
