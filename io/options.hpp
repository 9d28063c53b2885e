#pragma once
// One table of options serves the command line, INI decks, --help, validation
// and the provenance written into the output: every entry is a dotted key
// ("stn.gNa" = section [stn], key gNa) bound to a field of SimulationConfig.

#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "io/output_writer.hpp"
#include "src/config.hpp"

namespace boost::program_options {
class options_description;
}

namespace cbgtc::io {

using cbgtc::ConfigError;

using Bound = KeyBound;

/// The resolved configuration as the output file stores it: text and
/// booleans ("true"/"false") as strings, real numbers as float64, integers
/// (counts, seeds) as int64.
struct Provenance {
  AttributeList text;
  NumberList reals;
  IntegerList integers;
};

class OptionTable {
 public:
  enum class Kind { Text, Boolean, Real, Integer };

  struct Entry {
    std::string key;   // "section.name"
    std::string unit;  // "" when dimensionless
    std::string help;
    std::string default_text;  // value() before anything was read
    Kind kind = Kind::Text;
    std::function<void(boost::program_options::options_description&)> declare;
    std::function<std::string()> value;  // current value, as text
    std::function<void()> check;         // throws ConfigError
    /// Parses `text` as this key's value and checks its range, leaving the
    /// field as it is: for a deck value the command line overrides.
    std::function<void(const std::string& text)> check_text;
  };

  template <class T>
  void add(const std::string& key, T* field, const std::string& unit, const std::string& help,
           Bound bound = Bound::Any);

  /// Adds `check` to what `key`'s value (a deck's value the command line
  /// overrides among them) must pass: a text key's list of choices.
  void checkValuesWith(const std::string& key, std::function<void(const std::string& value)> check);

  const std::vector<Entry>& entries() const { return _entries; }

  /// One options_description per section, in the order sections first appear.
  std::vector<boost::program_options::options_description> describe() const;

  /// Range checks of every entry (throws the first failure).
  void checkBounds() const;

  /// Every key with its current value as text; text keys left empty (their
  /// default) are left out, so that the list reads back as a command line
  /// (which has no "--key=" with nothing after it).
  AttributeList resolved() const;

  /// resolved(), typed for the output file.
  Provenance provenance() const;

 private:
  std::vector<Entry> _entries;
};

/// The table for `config`; it keeps pointers into `config`.
OptionTable makeOptionTable(SimulationConfig& config);

using cbgtc::checkConsistency;

struct CommandLine {
  SimulationConfig config;
  std::string config_file;  // "" when none
  std::string restart_file;  // --restart: the checkpoint to continue ("" when none)
  bool help = false;
  bool version = false;
  bool validate_only = false;
  bool kokkos_help = false;   // --kokkos-help: Kokkos prints its options, nothing runs
  int requested_threads = 0;  // --kokkos-num-threads (or --kokkos-threads); 0 when not given
  /// Each argument as parsed, in order: its key ("config", "population.STN.n";
  /// "" for Kokkos's own) and its tokens (`--key=value`, or `--key` and
  /// `value`; a boolean given as `--key` alone has one), so that an
  /// argument can be left out without guessing which tokens are its value.
  std::vector<std::pair<std::string, std::vector<std::string>>> arguments;
};

/// Parses `--config deck.ini` and key overrides (`--stn.ISTN=60`); command
/// line values win over the deck, the deck over defaults. Keys must be
/// spelled out; positional arguments are refused. The deck is read once (it
/// may be a pipe). Kokkos's own options ("--kokkos-num-threads=4", ...) are
/// left for Kokkos; any other "--kokkos..." argument is refused. Throws
/// ConfigError; deck errors start with "<deck>:<line>: ".
/// Reads a deck's text; throws ConfigError naming the path.
using DeckReader = std::function<std::string(const std::string& path)>;

/// The deck at `path`, read exactly once: a regular file or a pipe (a
/// directory, device or socket is refused; a pipe is read until its writer
/// closes it, and one that gives no data is refused).
std::string readDeck(const std::string& path);

CommandLine parseCommandLine(int argc, const char* const argv[], const DeckReader& read_deck = readDeck);

/// The --help text: usage and every key with unit and default.
std::string helpText();

/// Text of a number that reads back to the same value.
std::string formatNumber(double value);
std::string formatNumber(float value);

}  // namespace cbgtc::io
