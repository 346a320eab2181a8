# frozen_string_literal: true

require "logger"

module EventBus
  class << self
    # Where the gem's logs go: connections, token refreshes, schema fetches,
    # retries, librdkafka's warnings. Any Logger (`EventBus.logger =
    # Rails.logger`); nil silences them. Its level decides what is
    # forwarded. By default, warnings and errors go to $stderr.
    attr_reader :logger

    def logger=(logger)
      @logger = logger
      sync_log_threshold
    end

    # Starts the thread that hands the core's log records to `logger`, the
    # first time something that logs is made (and again in a forked child,
    # where the parent's thread does not exist).
    def start_log_forwarding
      LOG_LOCK.synchronize do
        return if @log_thread&.alive? && @log_pid == Process.pid

        @log_pid = Process.pid
        @log_thread = Thread.new { forward_logs_forever }
        @log_thread.name = "eventbus-log"
      end
    end

    # Stops the thread and forwards what is still queued.
    def stop_log_forwarding
      thread = LOG_LOCK.synchronize { @log_thread.tap { @log_thread = nil } }
      if thread
        # Asked, not killed: a killed thread could lose the records it holds.
        thread[:eventbus_stop] = true
        thread.kill unless thread.join(2)
      end
      forward_logs(native_next_log_records(0))
    end

    private

    def forward_logs_forever
      until Thread.current[:eventbus_stop]
        sync_log_threshold
        forward_logs(native_next_log_records(0.25))
      end
    end

    def forward_logs(records)
      logger = @logger
      return unless logger

      records.each do |severity, target, message|
        logger.add(severity, message, target)
      rescue StandardError
        # A failing logger must not stop the thread; the record is lost.
        nil
      end
    end

    def sync_log_threshold
      self.native_log_threshold = @logger&.level
    end
  end

  LOG_LOCK = Mutex.new
  private_constant :LOG_LOCK

  self.logger = Logger.new($stderr, level: Logger::WARN, progname: "eventbus")
end
