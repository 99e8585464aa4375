#pragma once
// A small metrics registry rendering the Prometheus text exposition format (0.0.4).
//
// Counter, Gauge and Histogram are lock-free: every update is one or two relaxed
// atomic operations. A Family<M> holds one metric per label set; With() finds it in
// an insert-only open-addressing table without taking a lock (a lock is taken only
// the first time a label set is seen). A family holds at most kMaxSeries label sets;
// further ones are counted under a series whose labels are all "other".
// Everything here is safe for concurrent use from any thread. Metric references
// returned by a family or the registry stay valid as long as the registry lives.

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace forkline {

class Counter {
 public:
  void Inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(std::int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Fixed upper bounds (ascending), plus the implicit +Inf bucket.
class Histogram {
 public:
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
  };
  // Not atomic across buckets: a concurrent Observe may show in some buckets only.
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_->size() + 1
  std::atomic<double> sum_{0};
};

// Common part of every family: name, help, label names, the series table.
class FamilyBase {
 public:
  static constexpr std::size_t kMaxSeries = 512;
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~FamilyBase();
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  // Appends this family in the text format (HELP, TYPE and one line per sample).
  void Render(std::string& out) const;

 protected:
  struct Series {
    std::vector<std::string> labels;
    std::size_t hash = 0;
    virtual ~Series() = default;
  };
  // The series for `values` (one per label name), created by NewSeries() if new.
  Series& Find(std::initializer_list<std::string_view> values);
  virtual std::unique_ptr<Series> NewSeries() const = 0;
  virtual std::string_view TypeName() const = 0;
  virtual void RenderSeries(const Series& s, std::string& out) const = 0;
  // `name{a="x",b="y"<extra>} ` (no braces when there are no labels and no extra).
  void AppendSample(std::string& out, std::string_view suffix, const Series& s,
                    std::string_view extra_label) const;

 private:
  static constexpr std::size_t kSlots = kMaxSeries * 2;
  Series* Insert(std::vector<std::string> labels, std::size_t hash);

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  std::array<std::atomic<Series*>, kSlots> slots_{};
  mutable std::mutex mu_;                        // guards owned_ (writers of slots_)
  std::vector<std::unique_ptr<Series>> owned_;   // every series, in creation order
};

template <typename M>
class Family;

template <>
class Family<Counter> final : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  Counter& With(std::initializer_list<std::string_view> values) {
    return static_cast<S&>(Find(values)).metric;
  }

 private:
  struct S : Series { Counter metric; };
  std::unique_ptr<Series> NewSeries() const override { return std::make_unique<S>(); }
  std::string_view TypeName() const override { return "counter"; }
  void RenderSeries(const Series& s, std::string& out) const override;
};

template <>
class Family<Gauge> final : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  Gauge& With(std::initializer_list<std::string_view> values) {
    return static_cast<S&>(Find(values)).metric;
  }

 private:
  struct S : Series { Gauge metric; };
  std::unique_ptr<Series> NewSeries() const override { return std::make_unique<S>(); }
  std::string_view TypeName() const override { return "gauge"; }
  void RenderSeries(const Series& s, std::string& out) const override;
};

template <>
class Family<Histogram> final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds);
  Histogram& With(std::initializer_list<std::string_view> values) {
    return static_cast<S&>(Find(values)).metric;
  }

 private:
  struct S : Series {
    explicit S(std::shared_ptr<const std::vector<double>> b) : metric(std::move(b)) {}
    Histogram metric;
  };
  std::unique_ptr<Series> NewSeries() const override { return std::make_unique<S>(bounds_); }
  std::string_view TypeName() const override { return "histogram"; }
  void RenderSeries(const Series& s, std::string& out) const override;
  std::shared_ptr<const std::vector<double>> bounds_;
};

// Owns families; renders them in registration order. Register at start-up.
class Registry {
 public:
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<double> bounds,
                                  std::vector<std::string> label_names = {});
  // The whole registry in the Prometheus text format.
  std::string Render() const;

 private:
  mutable std::mutex mu_;  // guards families_ (the vector, not the families)
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

}  // namespace forkline
