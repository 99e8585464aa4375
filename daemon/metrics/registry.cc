#include "daemon/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>

namespace forkline {
namespace {

void AppendNumber(std::string& out, double v) {
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  char buf[400];
  const double a = std::fabs(v);
  // Plain decimals ("0.0005", not "5e-04") in the usual range, like other exporters.
  const auto format = a == 0 || (a >= 1e-6 && a < 1e15) ? std::chars_format::fixed
                                                         : std::chars_format::general;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, format);
  out.append(buf, ec == std::errc() ? end : buf);
}

void AppendInt(std::string& out, std::int64_t v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

// Label values escape backslash, double quote and newline; HELP escapes \ and \n.
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
}

std::size_t HashLabels(std::initializer_list<std::string_view> values) {
  std::size_t h = 0x9e3779b97f4a7c15ULL;
  for (std::string_view v : values) {
    h ^= std::hash<std::string_view>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  }
  return h;
}

bool SameLabels(const std::vector<std::string>& a, std::initializer_list<std::string_view> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_->size() + 1)) {}

void Histogram::Observe(double value) {
  const auto& b = *bounds_;
  const std::size_t i = std::lower_bound(b.begin(), b.end(), value) - b.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_->size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(total);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

FamilyBase::FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

FamilyBase::~FamilyBase() = default;

FamilyBase::Series& FamilyBase::Find(std::initializer_list<std::string_view> values) {
  const std::size_t hash = HashLabels(values);
  for (std::size_t probe = 0; probe < kSlots; ++probe) {
    Series* s = slots_[(hash + probe) % kSlots].load(std::memory_order_acquire);
    if (s == nullptr) break;  // not there yet: insert under the lock
    if (s->hash == hash && SameLabels(s->labels, values)) return *s;
  }
  return *Insert(std::vector<std::string>(values.begin(), values.end()), hash);
}

FamilyBase::Series* FamilyBase::Insert(std::vector<std::string> labels, std::size_t hash) {
  std::lock_guard lock(mu_);
  if (owned_.size() >= kMaxSeries) {  // full: everything new goes to the "other" series
    labels.assign(labels.size(), "other");
    hash = 0;
    for (auto& s : owned_) {
      if (s->hash == 0 && s->labels == labels) return s.get();
    }
  }
  for (std::size_t probe = 0; probe < kSlots; ++probe) {
    auto& slot = slots_[(hash + probe) % kSlots];
    Series* s = slot.load(std::memory_order_relaxed);
    if (s != nullptr) {
      if (s->hash == hash && s->labels == labels) return s;  // raced with another insert
      continue;
    }
    auto fresh = NewSeries();
    fresh->labels = std::move(labels);
    fresh->hash = hash;
    s = fresh.get();
    owned_.push_back(std::move(fresh));
    slot.store(s, std::memory_order_release);
    return s;
  }
  return owned_.back().get();  // unreachable: kSlots = 2 * kMaxSeries (+1 "other")
}

void FamilyBase::AppendSample(std::string& out, std::string_view suffix, const Series& s,
                              std::string_view extra_label) const {
  out += name_;
  out += suffix;
  if (!label_names_.empty() || !extra_label.empty()) {
    out += '{';
    for (std::size_t i = 0; i < label_names_.size() && i < s.labels.size(); ++i) {
      if (i > 0) out += ',';
      out += label_names_[i];
      out += "=\"";
      AppendEscaped(out, s.labels[i], true);
      out += '"';
    }
    if (!extra_label.empty()) {
      if (!label_names_.empty()) out += ',';
      out += extra_label;
    }
    out += '}';
  }
  out += ' ';
}

void FamilyBase::Render(std::string& out) const {
  std::vector<const Series*> series;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : owned_) series.push_back(s.get());
  }
  std::sort(series.begin(), series.end(),
            [](const Series* a, const Series* b) { return a->labels < b->labels; });
  out += "# HELP " + name_ + ' ';
  AppendEscaped(out, help_, false);
  out += "\n# TYPE " + name_ + ' ';
  out += TypeName();
  out += '\n';
  for (const Series* s : series) RenderSeries(*s, out);
}

void Family<Counter>::RenderSeries(const Series& s, std::string& out) const {
  AppendSample(out, "", s, "");
  AppendInt(out, static_cast<std::int64_t>(static_cast<const S&>(s).metric.Value()));
  out += '\n';
}

void Family<Gauge>::RenderSeries(const Series& s, std::string& out) const {
  AppendSample(out, "", s, "");
  AppendInt(out, static_cast<const S&>(s).metric.Value());
  out += '\n';
}

Family<Histogram>::Family(std::string name, std::string help,
                          std::vector<std::string> label_names, std::vector<double> bounds)
    : FamilyBase(std::move(name), std::move(help), std::move(label_names)) {
  std::sort(bounds.begin(), bounds.end());
  bounds_ = std::make_shared<const std::vector<double>>(std::move(bounds));
}

void Family<Histogram>::RenderSeries(const Series& s, std::string& out) const {
  const Histogram& h = static_cast<const S&>(s).metric;
  const Histogram::Snapshot snap = h.Read();
  for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
    std::string le = "le=\"";
    AppendNumber(le, i < h.bounds().size() ? h.bounds()[i] : INFINITY);
    le += '"';
    AppendSample(out, "_bucket", s, le);
    AppendInt(out, static_cast<std::int64_t>(snap.cumulative[i]));
    out += '\n';
  }
  AppendSample(out, "_sum", s, "");
  AppendNumber(out, snap.sum);
  out += '\n';
  AppendSample(out, "_count", s, "");
  AppendInt(out, static_cast<std::int64_t>(snap.cumulative.back()));
  out += '\n';
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  auto f = std::make_unique<Family<Counter>>(std::move(name), std::move(help),
                                             std::move(label_names));
  auto& ref = *f;
  std::lock_guard lock(mu_);
  families_.push_back(std::move(f));
  return ref;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  auto f = std::make_unique<Family<Gauge>>(std::move(name), std::move(help),
                                           std::move(label_names));
  auto& ref = *f;
  std::lock_guard lock(mu_);
  families_.push_back(std::move(f));
  return ref;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<double> bounds,
                                          std::vector<std::string> label_names) {
  auto f = std::make_unique<Family<Histogram>>(std::move(name), std::move(help),
                                               std::move(label_names), std::move(bounds));
  auto& ref = *f;
  std::lock_guard lock(mu_);
  families_.push_back(std::move(f));
  return ref;
}

std::string Registry::Render() const {
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : families_) families.push_back(f.get());
  }
  std::string out;
  for (const FamilyBase* f : families) f->Render(out);
  return out;
}

}  // namespace forkline
