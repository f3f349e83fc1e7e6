#pragma once

// Declared with the settings, which choose it (SERVER_DURABILITY), and kept by the storage.
namespace tp0::storage {

// When a store returns, and so when the server may acknowledge it.
enum class Durability {
  kProcess,  // once written: it survives a crash of any process, not of the machine
  kMachine,  // once written and on disk (fdatasync of the file and its journal): it survives
             // a crash of the machine too
};

}  // namespace tp0::storage
